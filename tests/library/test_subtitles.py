"""clearmedia.library.subtitles: finding a video's subtitles on disk and naming them in the library."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from clearmedia.library.subtitles import SUBTITLE_EXTS, find_subtitles, parse_tags, subtitle_targets


def touch(path: Path, content: bytes = b"1\n00:00:01,000 --> 00:00:02,000\nhi\n") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    return path


def names(pairs: list[tuple[Path, Path]]) -> dict[str, str]:
    """{subtitle source name: library file name}."""
    return {source.name: destination.name for source, destination in pairs}


LIB = Path("/library/Movies/Blade Runner 2049 (2017) [tmdbid-335984]/Blade Runner 2049 (2017).mkv")


# ---------------------------------------------------------------- language tags (the contract's table)


@pytest.mark.parametrize(
    ("tag", "expected"),
    [
        *[(t, "zh") for t in ("简", "简体", "简体中文", "chs", "sc", "zh-CN", "zh-Hans", "GB", "chi", "zho", "Chinese", "zh")],
        *[(t, "zh-TW") for t in ("繁", "繁体", "繁體中文", "cht", "tc", "zh-TW", "zh-HK", "zh-Hant", "BIG5")],
        *[(t, "zh-TW") for t in ("Chinese (Traditional)", "Chinese_Traditional", "Chinese-Traditional")],
        *[(t, "en") for t in ("eng", "English", "en", "ENG")],
        *[(t, "ja") for t in ("jpn", "Japanese", "ja")],
        ("fre", "fr"), ("fra", "fr"), ("French", "fr"), ("fr", "fr"),
        ("ger", "de"), ("deu", "de"), ("spa", "es"), ("kor", "ko"), ("rus", "ru"), ("ita", "it"),
        ("pt-BR", "pt-BR"), ("por", "pt"),
        ("chs&eng", "zh"), ("简英", "zh"), ("中英双语", "zh"), ("繁英", "zh-TW"),
        ("21_Chinese", "zh"), ("2_English", "en"), ("3_French", "fr"),
        ("", None), ("1", None), ("default", None),
    ],
)  # fmt: skip
def test_language_tags(tag, expected):
    assert parse_tags(tag)[0] == expected


@pytest.mark.parametrize(
    ("tag", "expected"),
    [
        ("zh.forced", ("zh", "forced")),
        ("chs.forced", ("zh", "forced")),
        ("eng.sdh", ("en", "sdh")),
        ("English.SDH", ("en", "sdh")),
        ("en.cc", ("en", "sdh")),
        ("eng.hi", ("en", "sdh")),
        ("forced", (None, "forced")),
        ("zh-CN.forced", ("zh", "forced")),
        ("4_English_Forced", ("en", "forced")),
    ],
)
def test_forced_and_sdh_flags(tag, expected):
    assert parse_tags(tag) == expected


# ---------------------------------------------------------------- finding


def test_sidecars_with_the_same_stem(tmp_path):
    video = touch(tmp_path / "Movie.2020.1080p.mkv", b"video")
    expected = [
        touch(tmp_path / "Movie.2020.1080p.srt"),
        touch(tmp_path / "Movie.2020.1080p.chs.srt"),
        touch(tmp_path / "Movie.2020.1080p.zh-CN.forced.ass"),
        touch(tmp_path / "Movie.2020.1080p.ENG.SUP"),
        touch(tmp_path / "Movie.2020.1080p.eng.idx"),
        touch(tmp_path / "Movie.2020.1080p.eng.sub"),
        touch(tmp_path / "Movie.2020.1080p.vtt"),
        touch(tmp_path / "Movie.2020.1080p.ssa"),
    ]
    touch(tmp_path / "Movie.2020.1080p.nfo")  # not a subtitle
    touch(tmp_path / "Movie.2020.srt")  # another stem
    touch(tmp_path / "Other.srt")
    touch(tmp_path / "Movie.2020.1080pX.srt")  # the stem must be followed by a dot
    (tmp_path / "Movie.2020.1080p.folder.srt").mkdir()  # not a file
    assert find_subtitles(video) == sorted(expected)


def test_symlinked_subtitles_are_not_followed(tmp_path):
    video = touch(tmp_path / "dl" / "Movie.mkv", b"video")
    real = touch(tmp_path / "elsewhere" / "secret.srt")
    (tmp_path / "dl" / "Movie.en.srt").symlink_to(real)
    (tmp_path / "dl" / "Subs").symlink_to(tmp_path / "elsewhere")
    assert find_subtitles(video) == []


def test_longer_stem_of_another_video_wins(tmp_path):
    one = touch(tmp_path / "Movie.mkv", b"v")
    two = touch(tmp_path / "Movie.Part2.mkv", b"v")
    mine = touch(tmp_path / "Movie.en.srt")
    theirs = touch(tmp_path / "Movie.Part2.en.srt")
    assert find_subtitles(one) == [mine]
    assert find_subtitles(two) == [theirs]


def test_subs_folder_beside_a_single_movie(tmp_path):
    """RARBG movie layout: Subs/2_English.srt, Subs/21_Chinese.srt."""
    folder = tmp_path / "Top.Gun.Maverick.2022.1080p.WEBRip.x264-RARBG"
    video = touch(folder / "Top.Gun.Maverick.2022.1080p.WEBRip.x264-RARBG.mp4", b"v")
    touch(folder / "Sample" / "sample.mp4", b"v")  # in its own folder: not a second video
    subs = [touch(folder / "Subs" / "21_Chinese.srt"), touch(folder / "Subs" / "2_English.srt")]
    touch(folder / "Subs" / "notes.txt")
    assert find_subtitles(video) == sorted(subs)
    pairs = subtitle_targets(
        Path("/lib/Movies/Top Gun - Maverick (2022) [tmdbid-361743]/Top Gun - Maverick (2022).mp4"),
        video,
        subs,
    )
    assert names(pairs) == {
        "21_Chinese.srt": "Top Gun - Maverick (2022).zh.srt",
        "2_English.srt": "Top Gun - Maverick (2022).en.srt",
    }


@pytest.mark.parametrize("folder_name", ["Subs", "subs", "SUBS", "Subtitles", "Sub"])
def test_subs_folder_names(tmp_path, folder_name):
    video = touch(tmp_path / "Movie.mkv", b"v")
    sub = touch(tmp_path / folder_name / "English.srt")
    assert find_subtitles(video) == [sub]


def test_subs_folder_per_episode(tmp_path):
    """RARBG series layout: Subs/<episode stem>/2_English.srt, several videos in one folder."""
    season = tmp_path / "Show.S01.1080p.WEB-RARBG"
    e1 = touch(season / "Show.S01E01.1080p.WEB-RARBG.mkv", b"v")
    e2 = touch(season / "Show.S01E02.1080p.WEB-RARBG.mkv", b"v")
    e1_subs = [
        touch(season / "Subs" / e1.stem / "2_English.srt"),
        touch(season / "Subs" / e1.stem / "3_English.srt"),
    ]
    e2_subs = [touch(season / "Subs" / e2.stem / "2_English.srt")]
    loose = touch(season / "Subs" / "English.srt")  # whose? several videos: nobody's
    named = touch(season / "Subs" / f"{e2.stem}.chs.srt")  # named after e2: e2's
    assert find_subtitles(e1) == sorted(e1_subs)
    assert find_subtitles(e2) == sorted([*e2_subs, named])
    assert loose not in find_subtitles(e1) + find_subtitles(e2)
    target = Path("/lib/TV Shows/Show (2020) [tmdbid-1]/Season 01/Show S01E01.mkv")
    pairs = subtitle_targets(target, e1, find_subtitles(e1))
    assert sorted(d.name for _, d in pairs) == ["Show S01E01.en.2.srt", "Show S01E01.en.srt"]


# ---------------------------------------------------------------- naming


def test_the_samples_subtitles():
    """The subtitle rows of examples/downloads-sample.jsonl."""
    blade = Path("/dl/Movies/Blade.Runner.2049.2017.1080p.BluRay.DD5.1.x264-DON.mkv")
    assert names(subtitle_targets(LIB, blade, [blade.with_name(blade.stem + ".chs.srt")])) == {
        "Blade.Runner.2049.2017.1080p.BluRay.DD5.1.x264-DON.chs.srt": "Blade Runner 2049 (2017).zh.srt"
    }
    bocchi = Path(
        "/dl/Anime/[VCB-Studio] Bocchi the Rock! [Ma10p_1080p]/[VCB-Studio] Bocchi the Rock! [08][Ma10p_1080p][x265_flac].mkv"
    )
    target = Path(
        "/lib/TV Shows/Bocchi the Rock! (2022) [tmdbid-119100]/Season 01/Bocchi the Rock! S01E08.mkv"
    )
    (pair,) = subtitle_targets(target, bocchi, [bocchi.with_name(bocchi.stem + ".tc.ass")])
    assert pair[1] == target.with_name("Bocchi the Rock! S01E08.zh-TW.ass")
    amelie = Path("/dl/Movies/Amelie.2001.FRENCH.1080p.BluRay.x264-LOST.mkv")
    (pair,) = subtitle_targets(Path("/lib/M/Amélie (2001).mkv"), amelie, [amelie.with_suffix(".fr.srt")])
    assert pair[1].name == "Amélie (2001).fr.srt"
    dune = Path(
        "/dl/Movies/Dune.1984.REMASTERED.1080p.BluRay.x264-SPOOKS/Dune.1984.REMASTERED.1080p.BluRay.x264-SPOOKS.mkv"
    )
    (pair,) = subtitle_targets(Path("/lib/M/Dune (1984).mkv"), dune, [dune.with_name(dune.stem + ".eng.sup")])
    assert pair[1].name == "Dune (1984).en.sup"


def test_untagged_forced_sdh_and_extensions():
    video = Path("/dl/Movie.mkv")
    subs = [
        Path(f"/dl/Movie.{tail}")
        for tail in ("srt", "zh.forced.srt", "eng.SDH.ASS", "jpn.cc.vtt", "forced.ssa")
    ]
    assert names(subtitle_targets(LIB, video, subs)) == {
        "Movie.srt": "Blade Runner 2049 (2017).srt",
        "Movie.zh.forced.srt": "Blade Runner 2049 (2017).zh.forced.srt",
        "Movie.eng.SDH.ASS": "Blade Runner 2049 (2017).en.sdh.ass",
        "Movie.jpn.cc.vtt": "Blade Runner 2049 (2017).ja.sdh.vtt",
        "Movie.forced.ssa": "Blade Runner 2049 (2017).forced.ssa",
    }


def test_collisions_are_numbered_never_dropped():
    video = Path("/dl/Movie.mkv")
    subs = [Path(f"/dl/Movie.{t}.srt") for t in ("chs", "sc", "简体", "zh-CN")] + [Path("/dl/Movie.cht.srt")]
    pairs = subtitle_targets(LIB, video, subs)
    assert len(pairs) == 5
    destinations = [d.name for _, d in pairs]
    assert len(set(destinations)) == 5
    assert sorted(destinations) == sorted(
        [
            "Blade Runner 2049 (2017).zh.srt",
            "Blade Runner 2049 (2017).zh.2.srt",
            "Blade Runner 2049 (2017).zh.3.srt",
            "Blade Runner 2049 (2017).zh.4.srt",
            "Blade Runner 2049 (2017).zh-TW.srt",
        ]
    )
    # stable: the same input in another order gives the same names
    assert sorted(subtitle_targets(LIB, video, list(reversed(subs)))) == sorted(pairs)


def test_collision_ignores_case_for_smb_shares():
    video = Path("/dl/Movie.mkv")
    pairs = subtitle_targets(LIB, video, [Path("/dl/Movie.en.srt"), Path("/dl/Movie.en.SRT")])
    assert sorted(d.name for _, d in pairs) == [
        "Blade Runner 2049 (2017).en.2.srt",
        "Blade Runner 2049 (2017).en.srt",
    ]


def test_idx_sub_pair_keeps_one_base_name():
    video = Path("/dl/Movie.mkv")
    subs = [
        Path("/dl/Movie.eng.srt"),
        Path("/dl/Movie.eng.idx"),
        Path("/dl/Movie.eng.sub"),
        Path("/dl/Subs/English.idx"),
        Path("/dl/Subs/English.sub"),
    ]
    got = names(subtitle_targets(LIB, video, subs))
    assert got["Movie.eng.idx"].removesuffix(".idx") == got["Movie.eng.sub"].removesuffix(".sub")
    assert got["English.idx"].removesuffix(".idx") == got["English.sub"].removesuffix(".sub")
    bases = {got["Movie.eng.idx"].removesuffix(".idx"), got["English.idx"].removesuffix(".idx")}
    assert bases == {"Blade Runner 2049 (2017).en", "Blade Runner 2049 (2017).en.2"}
    assert got["Movie.eng.srt"] == "Blade Runner 2049 (2017).en.srt"  # a .srt does not push the pair


def test_lone_sub_is_a_subtitle_of_its_own():
    pairs = subtitle_targets(LIB, Path("/dl/Movie.mkv"), [Path("/dl/Movie.chs.sub")])
    assert [d.name for _, d in pairs] == ["Blade Runner 2049 (2017).zh.sub"]


def test_destinations_are_beside_the_video_and_safe():
    video = Path("/dl/Movie.mkv")
    hostile = [Path("/dl/Movie.....srt"), Path("/dl/Movie.en:fr.srt"), Path("/dl/Movie.a\nb.srt")]
    for _, destination in subtitle_targets(LIB, video, hostile):
        assert destination.parent == LIB.parent
        assert not set('/\\:*?"<>|\n') & set(destination.name)
        assert destination.name.startswith("Blade Runner 2049 (2017).")


def test_long_video_names_still_fit():
    target = Path("/lib/M") / ("长" * 71 + ".mkv")  # 213-byte stem, as naming may produce
    pairs = subtitle_targets(
        target, Path("/dl/M.mkv"), [Path(f"/dl/M.{t}.sup") for t in ("cht.forced", "tc.forced")] * 1
    )
    for _, destination in pairs:
        assert len(destination.name.encode()) <= 255
        assert destination.name.startswith(target.stem + ".zh-TW.forced")


def test_end_to_end_with_real_links(tmp_path):
    """Found on disk, named, linked: every subtitle arrives beside the video, none lost."""
    from clearmedia.library.linker import LINK_SUCCESS, create_hardlink

    dl = tmp_path / "dl" / "Movie.2020.1080p.WEB"
    video = touch(dl / "Movie.2020.1080p.WEB.mkv", b"v")
    for tail in ("chs.srt", "sc.ass", "cht.srt", "eng.forced.srt", "srt"):
        touch(dl / f"Movie.2020.1080p.WEB.{tail}")
    touch(dl / "Subs" / "21_Chinese.srt")
    target = tmp_path / "lib" / "Movies" / "Movie (2020) [tmdbid-1]" / "Movie (2020).mkv"
    pairs = subtitle_targets(target, video, find_subtitles(video))
    assert len(pairs) == 6
    for source, destination in pairs:
        assert create_hardlink(source, destination) is LINK_SUCCESS
        assert os.path.samefile(source, destination)
    assert sorted(p.name for p in target.parent.iterdir()) == [
        "Movie (2020).en.forced.srt",
        "Movie (2020).srt",
        "Movie (2020).zh-TW.srt",
        "Movie (2020).zh.2.srt",
        "Movie (2020).zh.ass",
        "Movie (2020).zh.srt",
    ]
    # a rerun names everything the same way, so every link is already in place
    again = subtitle_targets(target, video, find_subtitles(video))
    assert again == pairs
    assert all(create_hardlink(s, d) is LINK_SUCCESS for s, d in again)


def test_subtitle_exts():
    assert set(SUBTITLE_EXTS) >= {".srt", ".ass", ".ssa", ".sub", ".idx", ".vtt", ".sup"}
