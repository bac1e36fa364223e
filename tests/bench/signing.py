"""What signing and checking a document costs (issue 17): CPU time per signature of a
one-page and a 20-page PDF with the test CA (RSA 2048, in-process timestamp, LTV data
embedded), per check, and the bytes a signature adds. Prints figures; asserts nothing.

    .venv/bin/python tests/bench/signing.py [--rounds 20]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from backend.signing import pdf, verify  # noqa: E402
from backend.signing.testca import LocalCa  # noqa: E402
from tests.signing.conftest import a_pdf, signing_runtime  # noqa: E402

AGENCY = "000.01.40.H56"


def timed(work: object, rounds: int) -> tuple[list[float], object]:
    cpu: list[float] = []
    result = None
    for _ in range(rounds):
        start = time.process_time()
        result = work()  # type: ignore[operator]
        cpu.append((time.process_time() - start) * 1000)
    return cpu, result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=20)
    rounds = parser.parse_args().rounds
    with tempfile.TemporaryDirectory() as folder:
        ca = LocalCa.create(Path(folder) / "pki")
        ca.issue(AGENCY, "UBND phường Hạc Thành")
        runtime = signing_runtime(ca, Path(folder) / "files")
        assert runtime.keys is not None
        signer = runtime.keys.signer(AGENCY)
        assert signer is not None
        print(f"{rounds} rounds each, CPU ms (process time) on this machine")
        print("| document | sign p50 | sign max | check p50 | size | signed size |")
        print("|---|---|---|---|---|---|")
        for label, document in (
            ("1 page", a_pdf()),
            ("20 pages", a_pdf("Trang kết quả. " * 2000)),
        ):
            request = pdf.SignRequest(document, "K7QW3MZP2A", "http://x/xac-thuc/K", "UBND", "r")

            def sign(request: pdf.SignRequest = request) -> bytes:
                return pdf.sign_pdf(
                    request,
                    signer,
                    timestamper=runtime.timestamper,
                    validation=runtime.validation(),
                )

            sign()  # warm: the font, the key
            signing, signed = timed(sign, rounds)
            assert isinstance(signed, bytes)
            checking, _ = timed(
                lambda signed=signed: verify.check_pdf(signed, runtime.trust_roots, fetch=False),
                rounds,
            )
            print(
                f"| {label} | {statistics.median(signing):.0f} | {max(signing):.0f} "
                f"| {statistics.median(checking):.0f} | {len(document) / 1024:.0f} KiB "
                f"| {len(signed) / 1024:.0f} KiB |"
            )


if __name__ == "__main__":
    main()
