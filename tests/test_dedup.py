"""Normalising and fingerprinting report text: datelines, credits, bylines, chrome, CJK, stable keys."""

from __future__ import annotations

import os
import subprocess
import sys

from scraper.dedup import fingerprint, read_report
from scraper.dedup.credits import outlet_wire
from scraper.dedup.fingerprint import band_keys, units

LEAD = ("North Korea's Foreign Minister Choe Son-hui has held talks with her Belarusian counterpart in Minsk "
        "and agreed to step up joint efforts to safeguard their mutual interests, the North's state media "
        "reported Friday.")
SECOND = ("The meeting took place Wednesday, where they discussed developing relations based on the principles "
          "of sovereignty, equality and reciprocity, the statement said.")


def test_dateline_credit_byline_and_copyright_lines_are_not_story() -> None:
    body = "\n\n".join([
        "By Kim Soo-yeon",
        f"SEOUL, Oct. 31 (Yonhap) -- {LEAD}",
        SECOND,
        "kimsy@yna.co.kr",
        "Copyright © 2026 Yonhap News Agency. All rights reserved.",
        "(END)",
    ])
    text = read_report(body)
    assert text.lines == (LEAD, SECOND)
    assert text.credit == "Yonhap"


def test_a_credit_line_of_its_own_names_the_wire_but_a_mention_does_not() -> None:
    credited = read_report(f"{LEAD}\n\n{SECOND}\n\nYonhap")
    assert credited.credit == "Yonhap" and credited.lines == (LEAD, SECOND)
    mention = "The North's Korean Central News Agency (KCNA) separately reported on a speech delivered by Choe."
    assert read_report(f"{LEAD}\n\n{mention}").credit is None


def test_datelines_of_other_languages_and_the_extractors_credit() -> None:
    assert read_report("(평양 7월 23일발 조선중앙통신) 김정은동지께서 공장을 현지지도하시였다.").credit == "KCNA"
    assert read_report("(서울=연합뉴스) 김수연 기자 = 북한이 22일 동해상으로 탄도미사일을 발사했다.").credit == "Yonhap"
    assert read_report("新华社北京7月23日电（记者 张三）中国外交部发言人今天表示。").credit == "Xinhua"
    assert read_report("МОСКВА, 23 июля. /ТАСС/. Глава МИД России заявил о переговорах.").credit == "TASS"
    assert read_report(LEAD, credit="kcna").credit == "KCNA"
    assert outlet_wire("yonhap-en") == "Yonhap" and outlet_wire("dailynk-en") is None


def test_case_punctuation_width_and_spacing_do_not_change_the_fingerprint() -> None:
    plain = fingerprint(read_report(f"{LEAD}\n\n{SECOND}").lines)
    wide = SECOND.replace("Wednesday", "Ｗｅｄｎｅｓｄａｙ")  # full-width letters, as CJK pages print them
    noisy = LEAD.upper().replace(",", " ,").replace("'", "’") + "\n\n" + wide
    assert fingerprint(read_report(noisy).lines).signature == plain.signature
    assert plain.words == len(LEAD.split()) + len(SECOND.split())


def test_cjk_text_is_shingled_by_characters() -> None:
    chinese = "朝鲜外务相崔善姬在明斯克与白俄罗斯外长举行会谈，双方同意加强合作，共同维护两国的共同利益。"
    assert len(units(chinese)) > 30
    print_ = fingerprint([chinese])
    assert print_.shingles > 30 and print_.words >= 20


def test_band_keys_are_the_same_in_another_process() -> None:
    """Keys are persisted: a restart (another hash seed, another process) must compute the same ones."""
    ours = band_keys(fingerprint([LEAD, SECOND]).signature)
    code = ("from scraper.dedup.fingerprint import band_keys, fingerprint;"
            f"print(band_keys(fingerprint([{LEAD!r}, {SECOND!r}]).signature))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={**os.environ, "PYTHONHASHSEED": "12345"})
    assert out.stdout.strip() == str(ours)
    assert all(-(2**63) <= key < 2**63 for key in ours) and len(ours) == 16
