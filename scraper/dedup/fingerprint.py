"""Fingerprints of article text that survive different page chrome, case, spacing, punctuation and edits.

Three fingerprints are kept of a report (all small, all persisted by the index):
- a b-bit MinHash signature of every shingle (the whole text), for near-duplicates of any shape;
- the hashes of its first `LEAD` shingles, in text order, so that a brief that is the start of a longer
  story is found and its containment measured exactly, not estimated from a 1-in-8 overlap;
- a consistent sample of its shingles (those whose hash falls in one quarter of the range, wherever they are
  in the text), so that how much of one text is in another is measured on the same shingles of both, past the
  lead too: a cut copy of a reordered report, a brief inside a longer story, two stories that are one.
Shingles are runs of `SHINGLE` units; a unit is a word, or one character of Chinese, Japanese or Korean,
which have no (or too few) spaces for words to work.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

SHINGLE = 3  # units per shingle
CJK_SHINGLE = 5  # units per shingle when most units are CJK characters (as many letters as ~3 words)
PERMS = 64  # MinHash values in a signature
ROWS = 4  # signature values per LSH band: PERMS // ROWS bands
LEAD = 128  # shingles of the lead kept as exact hashes (at most 255: line starts are stored in a byte)
WINDOW = 8  # shingles after a line start that make a window key
STARTS = 6  # line starts kept (the index stores keys for fewer, queries look at all)
SAMPLE_EVERY = 4  # one shingle in this many (chosen by its hash, so the same ones in every text) is sampled
SAMPLE = 192  # sampled shingles kept at most (the smallest values: a longer text keeps a consistent part)
# Changing any of the numbers above (or the hashing) changes what a fingerprint means: bump this, and
# fingerprints written by an older version stop matching (they age out with the index window).
FINGERPRINT_VERSION = 1
# What the state store keeps of every report's text (`text_sample`): the first values of its signature. Two texts
# are one article's (an edit, its AMP or print page) when this many of them agree; two articles share none, or one
# by chance, in 1,350 pairs of different NTREX stories of one language (while a text with a line replaced and one
# dropped, or with 30% of its lines dropped, keeps at least 6 and 4; measured with 32 values).
TEXT_SAMPLE = 32
SAME_TEXT_VALUES = 4

U64 = npt.NDArray[np.uint64]
U16 = npt.NDArray[np.uint16]

_CJK = (r"\u1100-\u11ff\u3040-\u30ff\u3130-\u318f\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff"
        r"\U00020000-\U0002ffff")
_UNIT = re.compile(rf"[{_CJK}]|[^\W_{_CJK}]+")
_CJK_UNIT = re.compile(rf"[{_CJK}]")
_HAN_KANA = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002ffff]")


# What normalise_text turns into spaces: characters of the Unicode categories P (punctuation), S (symbols),
# Z (separators) and C (controls, format, unassigned). For ASCII a translate table; beyond ASCII, letters
# and numbers (`\w`, never in those categories) are kept without a look, and the rest is looked up.
_BLANKED = ("P", "S", "Z", "C")
_ASCII_BLANKS = {code: " " for code in range(128) if unicodedata.category(chr(code)).startswith(_BLANKED)}
_OTHER_THAN_WORDS = re.compile(r"[^\x00-\x7f\w]")  # non-ASCII and neither letter nor number


def _blank_if_not_text(match: re.Match[str]) -> str:
    return " " if unicodedata.category(match[0]).startswith(_BLANKED) else match[0]


def normalise_text(text: str) -> str:
    """NFKC, case-folded, punctuation and symbols dropped, whitespace collapsed: the text a reader sees."""
    folded = unicodedata.normalize("NFKC", text).casefold().translate(_ASCII_BLANKS)
    return " ".join(_OTHER_THAN_WORDS.sub(_blank_if_not_text, folded).split())


def content_hash(body: str) -> str:
    """Exact-duplicate key of an article body: equal for the same text in other chrome."""
    return "sha256:" + hashlib.sha256(normalise_text(body).encode("utf-8")).hexdigest()


def units(text: str) -> list[str]:
    """Words, and single CJK characters, of NFKC case-folded text; punctuation and symbols dropped."""
    return _UNIT.findall(unicodedata.normalize("NFKC", text).casefold())


def word_count(text: str) -> int:
    """Words as a reader counts them: space-separated tokens, Chinese and Japanese characters two to a word."""
    han_kana = len(_HAN_KANA.findall(text))
    return len(_HAN_KANA.sub(" ", text).split()) + (han_kana + 1) // 2


def _constant(label: str, count: int) -> U64:
    """Fixed pseudo-random 64-bit constants: derived from their label, so stable across runs and numpy."""
    digest = b"".join(hashlib.blake2b(f"{label}:{i}".encode(), digest_size=8).digest() for i in range(count))
    return np.frombuffer(digest, dtype="<u8").astype(np.uint64)


def _mix(x: U64) -> U64:
    """splitmix64's finaliser: every input bit reaches every output bit."""
    x = x ^ (x >> np.uint64(30))
    x = x * np.uint64(0xBF58476D1CE4E5B9)
    x = x ^ (x >> np.uint64(27))
    x = x * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


_ODD = np.uint64(1)
_SHIFT = np.uint64(32)
_POSITION = _constant("position", max(SHINGLE, CJK_SHINGLE))
_A = _constant("perm-a", PERMS) | _ODD
_B = _constant("perm-b", PERMS)


def shingle_hashes(tokens: Sequence[str], width: int = SHINGLE) -> U64:
    """64-bit hashes of the shingles of `tokens`, in text order (one shingle of all tokens if fewer)."""
    if not tokens:
        return np.zeros(0, dtype=np.uint64)
    vocabulary: dict[str, int] = {}
    ids = [vocabulary.setdefault(token, len(vocabulary)) for token in tokens]
    digests = b"".join(hashlib.blake2b(token.encode(), digest_size=8).digest() for token in vocabulary)
    token_hashes = np.frombuffer(digests, dtype="<u8").astype(np.uint64)[np.asarray(ids)]
    width = min(width, len(tokens))
    count = len(tokens) - width + 1
    combined = np.zeros(count, dtype=np.uint64)
    for offset in range(width):
        combined = _mix(combined ^ (token_hashes[offset:offset + count] * _POSITION[offset]))
    return combined


def minhash(hashes: U64, a: U64, b: U64) -> U16:
    """b-bit MinHash: per permutation (a·x + b mod 2^64, high half), the low 16 bits of the minimum."""
    if hashes.size == 0:
        return np.zeros(a.size, dtype=np.uint16)
    mins = np.full(a.size, np.iinfo(np.uint64).max, dtype=np.uint64)
    for start in range(0, hashes.size, 4096):  # bounded memory on very long texts
        block = hashes[start:start + 4096, None]
        mins = np.minimum(mins, ((block * a + b) >> _SHIFT).min(axis=0))
    return (mins & np.uint64(0xFFFF)).astype(np.uint16)


def short16(hashes: U64) -> U16:
    """The 16-bit form of shingle hashes that lead sets and containment use."""
    return (hashes >> np.uint64(48)).astype(np.uint16)


@dataclass(frozen=True, slots=True)
class Fingerprint:
    """What the index keeps of one report's text."""

    words: int  # words of the story lines (CJK characters two to a word)
    shingles: int  # distinct shingles
    signature: bytes  # PERMS little-endian uint16: b-bit MinHash of every shingle
    lead: bytes  # little-endian uint16 hashes of the first LEAD shingles, in text order
    starts: bytes  # where the first STARTS lines begin in `lead` (one byte each) with a whole window left
    sample: bytes = b""  # sorted distinct uint16 hashes of the sampled shingles, at most SAMPLE of them
    # Sorted distinct uint16 hashes of every shingle: only on the side being looked up, never stored.
    shingle_set: bytes = b""

    def signature_values(self) -> U16:
        return np.frombuffer(self.signature, dtype="<u2").astype(np.uint16)

    def lead_values(self) -> U16:
        return np.frombuffer(self.lead, dtype="<u2").astype(np.uint16)

    def set_values(self) -> U16:
        return np.frombuffer(self.shingle_set, dtype="<u2").astype(np.uint16)

    def sample_values(self) -> U16:
        return np.frombuffer(self.sample, dtype="<u2").astype(np.uint16)


def sampled(hashes: U64) -> U16:
    """The sample of distinct shingle hashes: those in one `SAMPLE_EVERY`th of the range, smallest first."""
    chosen = hashes[(hashes >> np.uint64(20)) % np.uint64(SAMPLE_EVERY) == 0]
    return np.unique(short16(chosen))[:SAMPLE]


def fingerprint(lines: Sequence[str]) -> Fingerprint:
    """The fingerprint of a report's story lines (see `credits.read_report`)."""
    tokens: list[str] = []
    starts: list[int] = []
    words = 0
    for line in lines:
        starts.append(len(tokens))
        tokens.extend(units(line))
        words += word_count(line)
    cjk = sum(1 for token in tokens if _CJK_UNIT.match(token))
    width = CJK_SHINGLE if cjk * 2 > len(tokens) else SHINGLE
    hashes = shingle_hashes(tokens, width)
    distinct = np.unique(hashes)
    lead = short16(hashes[:LEAD])
    fitting = [start for start in dict.fromkeys(starts) if start + WINDOW <= lead.size]
    return Fingerprint(
        words=words,
        shingles=int(distinct.size),
        signature=minhash(distinct, _A, _B).astype("<u2").tobytes(),
        lead=lead.astype("<u2").tobytes(),
        starts=bytes(fitting[:STARTS]),
        sample=sampled(distinct).astype("<u2").tobytes(),
        shingle_set=np.unique(short16(distinct)).astype("<u2").tobytes(),
    )


def text_sample(print_: Fingerprint) -> bytes:
    """What is kept of a report's text to recognise it on another page: empty for a text without words."""
    return print_.signature[:TEXT_SAMPLE * 2] if print_.words else b""


def samples_agree(a: bytes, b: bytes) -> bool:
    """Whether two text samples (`text_sample`) are of one article's text, an edit of it or a shorter form."""
    count = min(len(a), len(b)) // 2
    if count == 0:
        return False
    left = np.frombuffer(a[:count * 2], dtype="<u2")
    right = np.frombuffer(b[:count * 2], dtype="<u2")
    return int((left == right).sum()) >= SAME_TEXT_VALUES * count / TEXT_SAMPLE


def key64(tag: bytes, payload: bytes) -> int:
    """A signed 64-bit index key (SQLite's INTEGER) for a band, a window or a title."""
    digest = hashlib.blake2b(payload, digest_size=8, person=b"nn-dedup-v%d" % FINGERPRINT_VERSION, salt=tag[:16])
    return int.from_bytes(digest.digest(), "little", signed=True)


def band_keys(signature: bytes) -> list[int]:
    """One key per band of ROWS signature values: two texts share a key where a whole band agrees."""
    size = 2 * ROWS
    return [key64(b"band%d" % band, signature[band * size:(band + 1) * size])
            for band in range(len(signature) // size)]


def window_keys(lead: bytes, starts: bytes, count: int) -> list[int]:
    """Keys of the WINDOW shingles that follow the first `count` line starts: the same lead, cut or not."""
    return [key64(b"window", lead[2 * start:2 * (start + WINDOW)]) for start in starts[:count]]
