"""Technician tool: `python -m kiosk.printing '<printer config JSON>' [--status-only]`.

Prints the printer's status and, unless --status-only, the test page; exit status 0 when the
page printed. Example: python -m kiosk.printing '{"backend": "cups", "queue": "KioskPDF"}'
"""

from __future__ import annotations

import json
import sys

from kiosk.printing.factory import build_printer, test_print


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if not args or args[0] in ("-h", "--help"):
        print(__doc__)
        return 2
    try:
        printer = build_printer(json.loads(args[0]))
    except (ValueError, json.JSONDecodeError) as exc:
        print(f"bad printer config: {exc}", file=sys.stderr)
        return 2
    status = printer.status()
    print(f"{printer.name}: {status.state.value} {status.detail}".rstrip())
    if "--status-only" in args[1:]:
        return 0 if status.can_print else 1
    result = test_print(printer)
    print(f"test page: {'printed' if result.ok else 'NOT printed'} ({result.status.state.value})")
    for label, value in (
        ("job", result.job_id),
        ("file", result.output_path),
        ("error", result.error),
    ):
        if value:
            print(f"  {label}: {value}")
    return 0 if result.ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
