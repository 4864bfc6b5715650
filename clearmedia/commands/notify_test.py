"""`notify-test`: send a test notice to every NOTIFY_URLS entry and say which ones work."""

from __future__ import annotations

from clearmedia.config import Settings


def register(commands, common) -> None:
    test = commands.add_parser(
        "notify-test", parents=[common], help="send a test notice to every NOTIFY_URLS entry"
    )
    test.set_defaults(handler=cmd_notify_test)


def cmd_notify_test(args, settings: Settings) -> int:
    """Exit 0 when every notifier got the notice, 1 when one failed or none is configured."""
    from clearmedia.announce.checks import send_test

    if not settings.notify_urls:
        print("FAIL  NOTIFY_URLS is not set: no notifier to test")
        return 1
    lines = send_test(settings)
    for good, text in lines:
        print(f"{'ok  ' if good else 'FAIL'}  {text}")
    return 0 if all(good for good, _ in lines) else 1
