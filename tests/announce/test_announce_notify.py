"""announce/notify.py: the words of a notice, and Apprise delivering it to a local json:// receiver."""

from __future__ import annotations

from clearmedia.announce.notify import Notifier, compose, describe
from clearmedia.announce.outcome import Outcome
from tests.fakes.fake_media_servers import NoticeReceiver, refused_url
from tests.helpers import wait_for


def episode(n: int, season: int = 1) -> Outcome:
    return Outcome.create(
        status="COMPLETED", file_id=100 + n, source=f"/d/Show.S01E{n:02d}.mkv", media_type="tv",
        title="进击的巨人", year=2013, season=season, episodes=[n],
        target=f"/lib/TV Shows/进击的巨人 (2013)/Season 01/进击的巨人 S01E{n:02d}.mkv",
    )  # fmt: skip


MOVIE = Outcome.create(
    status="COMPLETED", file_id=7, source="/d/The.Matrix.1999.mkv", media_type="movie",
    title="The Matrix", year=1999, target="/lib/Movies/The Matrix (1999)/The Matrix (1999).mkv",
)  # fmt: skip
FAILED = Outcome.create(
    status="FAILED", file_id=12, source="/d/x/Unknown.Thing.mkv", reason="no confident TMDB match"
)
CONFLICT = Outcome.create(
    status="CONFLICT", file_id=13, source="/d/Dune.mkv", reason="a different file already exists at /lib/Dune"
)


def test_a_batch_reads_as_library_names_with_failures_by_id_in_english():
    batch = [*(episode(n) for n in (1, 2, 3, 5)), MOVIE, FAILED, CONFLICT]
    title, body, kind = compose(batch, "en")
    assert title == "ClearMedia: 5 linked, 1 failed, 1 conflict(s)"
    lines = body.splitlines()
    assert lines[:3] == ["Linked (5):", "• 进击的巨人 (2013) S01E01-E03, S01E05", "• The Matrix (1999)"]
    assert "• [12] Unknown.Thing.mkv: no confident TMDB match" in lines
    assert "• [13] Dune.mkv: a different file already exists at /lib/Dune" in lines
    assert "clearmedia retry" in body and kind == "warning"


def test_chinese_when_tmdb_language_is_chinese_and_secrets_are_scrubbed():
    leaky = Outcome.create(
        status="FAILED", file_id=9, source="/d/a.mkv", reason="TMDB said key-SECRET is bad"
    )
    title, body, kind = compose([episode(1), leaky], "zh", secrets=["key-SECRET"])
    assert title == "ClearMedia：已入库 1 个，失败 1 个"
    assert "已入库（1）：" in body and "失败（1）：" in body and "重试" in body
    assert "key-SECRET" not in body and "***" in body


def test_a_long_batch_is_cut_with_a_count():
    batch = [Outcome.create(status="FAILED", file_id=n, source=f"/d/{n}.mkv", reason="x") for n in range(50)]
    _, body, kind = compose(batch, "en")
    assert "… and 10 more" in body and kind == "failure"


def test_apprise_posts_one_message_to_the_json_receiver():
    with NoticeReceiver() as receiver:
        notifier = Notifier([receiver.apprise_url()], "en")
        assert notifier.send([MOVIE, FAILED]) == []
        (notice,) = wait_for(receiver.notices, what="the notice")
        assert notice["title"] == "ClearMedia: 1 linked, 1 failed"
        assert "The Matrix (1999)" in notice["message"] and "[12]" in notice["message"]
        assert notice["type"] == "warning"


def test_a_notifier_that_is_down_is_named_without_its_url(log_lines):
    url = refused_url().replace("http://", "json://user:pw-SECRET@") + "/hook?token=tok-SECRET"
    notifier = Notifier([url], "en")
    assert notifier.send([MOVIE], tries=2) == ["notifier 1 (json://)"]
    assert any("notifier 1 (json://)" in line and "dropped" in line for line in log_lines)
    assert not any("SECRET" in line or "127.0.0.1" in line for line in log_lines)
    assert describe(0, "tgram://123:abc/456") == "notifier 1 (tgram://)"


def test_an_unreadable_url_is_skipped_with_a_warning_naming_only_its_scheme(log_lines):
    notifier = Notifier(["nosuchservice://tok-SECRET@host"], "en")
    assert notifier.targets == []
    assert any("notifier 1 (nosuchservice://)" in line for line in log_lines)
    assert not any("SECRET" in line for line in log_lines)
