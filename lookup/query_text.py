"""Turning what citizens type into catalog words: folding, question fillers, Telex and VNI leftovers,
typos, abbreviations (the lexicon's, and initials of the catalog's own frequent phrases), and the
everyday-to-administrative lexicon (fixtures/search_lexicon.json: fillers, context words, common
abbreviations; fixtures/search_concepts.json: phrases by life concept).

A query becomes a list of `Concept`s, one per meaning-bearing unit: a word, or a phrase from the
lexicon ("sổ đỏ", "cccd"). Each concept lists alternative token sequences that count as the same
thing (the typed word, its repaired spelling, its synonyms), each with a confidence in (0, 1]. The
ranker then asks, per concept, how well a procedure covers its best alternative. A word that is no
catalog word, no lexicon phrase and no repairable spelling is kept as "unknown": it weighs nothing
in the match (the catalog cannot say anything about it) and counts only as evidence against an
answer in the refusal model.
"""

from __future__ import annotations

import itertools
import json
import re
import unicodedata
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path

from rapidfuzz import fuzz, process

from lookup.catalog import FIXTURES_DIR
from lookup.text import fold

LEXICON_PATH = FIXTURES_DIR / "search_lexicon.json"
CONCEPTS_PATH = FIXTURES_DIR / "search_concepts.json"
MAX_PHRASE_WORDS = 6
MARKED_AS_MEANT = True
_TELEX_TONES = "sfrxj"
_TELEX_VOWELS = (("aa", "a"), ("aw", "a"), ("ee", "e"), ("oo", "o"), ("ow", "o"), ("uw", "u"), ("dd", "d"))
_VOWELS = set("aeiouy")
_LONE_I_OR_Y = re.compile(r"(qu|[bcdghklmnprstvx]+)[iy]")
_LETTERS = "abcdeghiklmnopqrstuvxy"  # the Vietnamese alphabet folded (no f, j, w, z)
_DOUBLED = re.compile(r"([bcdghiklmnpqrstvxy])\1+")  # "uu" (ưu), "oo" (xoong) are real
_AS_TYPED = frozenset({"abbreviation", "unknown", "number"})  # no single repaired spelling to group by


@dataclass(frozen=True)
class Alternative:
    tokens: tuple[str, ...]
    confidence: float  # 1.0 as typed; less for a repaired spelling or a guessed typo
    why: str  # "typed", "telex", "spelling", "typo", "synonym", "abbreviation", "unknown": shown by explanations
    phrase: bool = False  # a lexicon phrase: its words count only together, in order


@dataclass
class Concept:
    typed: str
    alternatives: list[Alternative] = field(default_factory=list)
    context: bool = False  # who or when ("cho mẹ", "em bé", "hết hạn"): weighs little in coverage
    marked: str = ""  # as typed, diacritics kept
    life: frozenset[str] = frozenset()  # life concepts of its lexicon phrase ("land_house" for "sổ đỏ")
    start: int = -1  # position of its first word in the words parsed


@dataclass(frozen=True)
class Lexicon:
    synonyms: dict[tuple[str, ...], tuple[tuple[str, ...], ...]]
    concepts: dict[tuple[str, ...], frozenset[str]]  # phrase -> the life concepts it belongs to
    concept_fields: dict[str, tuple[str, ...]]  # life concept -> catalog fields (folded prefixes)
    concept_events: dict[str, tuple[str, ...]]  # life concept -> life-event group ids
    noise: frozenset[str]
    noise_phrases: tuple[tuple[str, ...], ...]  # longest first
    noise_accented: frozenset[str]  # fillers only as typed with their marks: "thì" (not "thi", exam)
    context: frozenset[tuple[str, ...]]
    context_marked: frozenset[str]
    # Each phrase's words as written with marks: a word typed with marks must not reach a phrase
    # through folding alone ("mặt" is not "mất", "đá" is not "đã", "bán" is not "bản").
    marked_keys: dict[tuple[str, ...], frozenset[tuple[str, ...]]] = field(default_factory=dict)
    noise_final: frozenset[str] = frozenset()  # fillers only as the last word ("nha": nhé, not nhà)
    # What no administrative procedure answers (prices, opinions, how-to advice, shops...), each
    # phrase as its words with their marks: evidence for the refusal model, not search words.
    off_topic: tuple[tuple[str, ...], ...] = ()

    @cached_property
    def noise_phrases_by_first(self) -> dict[str, tuple[tuple[str, ...], ...]]:
        """noise_phrases by their first word, longest first as there."""
        out: dict[str, list[tuple[str, ...]]] = {}
        for phrase in self.noise_phrases:
            out.setdefault(phrase[0], []).append(phrase)
        return {first: tuple(phrases) for first, phrases in out.items()}

    @cached_property
    def off_topic_index(self) -> tuple[dict[str, list], dict[str, list]]:
        """The off-topic phrases (as written, folded) by their first word as written, and those of
        two words or more by their first word folded (for queries typed without marks)."""
        by_marked: dict[str, list] = {}
        by_folded: dict[str, list] = {}
        for phrase in self.off_topic:
            entry = (phrase, tuple(fold(w) for w in phrase))
            by_marked.setdefault(phrase[0], []).append(entry)
            if len(phrase) > 1:
                by_folded.setdefault(entry[1][0], []).append(entry)
        return by_marked, by_folded

    @classmethod
    def load(cls, path: Path = LEXICON_PATH, concepts: Path | None = CONCEPTS_PATH) -> Lexicon:
        raw = json.loads(path.read_text(encoding="utf-8"))
        entries = list(raw["synonyms"].items())
        groups: dict[tuple[str, ...], set[str]] = {}
        fields: dict[str, tuple[str, ...]] = {}
        events: dict[str, tuple[str, ...]] = {}
        if concepts is not None and concepts.exists():
            # By life concept (birth, death, land ...): one file a person can read a topic in.
            for name, group in json.loads(concepts.read_text(encoding="utf-8"))["concepts"].items():
                entries += list(group["synonyms"].items())
                fields[name] = tuple(fold(f) for f in group.get("fields", ()))
                events[name] = tuple(group.get("events", ()))
                for key in group["synonyms"]:
                    groups.setdefault(tuple(tokens(key)), set()).add(name)
        merged: dict[tuple[str, ...], list[tuple[str, ...]]] = {}
        marked_keys: dict[tuple[str, ...], set[tuple[str, ...]]] = {}
        for key in [k for k, _ in entries] + list(raw.get("context", ())):
            marked_keys.setdefault(tuple(tokens(key)), set()).add(tuple(w for _, w in marked_tokens(key)))
        for key, values in entries:
            out = merged.setdefault(tuple(tokens(key)), [])
            out += [t for v in values if (t := tuple(tokens(v))) and t not in out]
        synonyms = {key: tuple(values) for key, values in merged.items() if key}
        phrases = sorted({tuple(tokens(p)) for p in raw["phrases_noise"]}, key=len, reverse=True)
        return cls(
            synonyms,
            {key: frozenset(names) for key, names in groups.items()},
            fields,
            events,
            frozenset(fold(w) for w in raw["noise"]),
            tuple(p for p in phrases if p),
            frozenset(_marked(w) for w in raw.get("noise_accented", ())),
            frozenset(tuple(tokens(w)) for w in raw.get("context", ())),
            frozenset(_marked(w) for w in raw.get("context", ())),
            {key: frozenset(forms) for key, forms in marked_keys.items()},
            frozenset(raw.get("noise_final", ())),
            tuple(
                tuple(_marked(w) for w in re.findall(r"\w+", phrase))
                for group in raw.get("off_topic", {}).values()
                for phrase in group
            ),
        )


@lru_cache(maxsize=1)
def default_lexicon() -> Lexicon:
    return Lexicon.load()


def tokens(text: str) -> list[str]:
    """Folded words: accent-free, lower case, punctuation dropped (also between letters and digits
    typed together, as in "cap2" -> "cap", "2")."""
    return re.findall(r"[a-z]+|[0-9]+", fold(text))


def _marked(text: str) -> str:
    """Lower case NFC, diacritics kept: how a word was typed, for fillers that fold onto real words."""
    return unicodedata.normalize("NFC", text).lower().strip()


def marked_words(text: str) -> list[str]:
    """Lower-case NFC words, diacritics kept: how the text writes each word."""
    return re.findall(r"\w+", _marked(text))


def marked_tokens(text: str) -> list[tuple[str, str]]:
    """(folded, as typed) per token of `tokens(text)`; as typed is the whole marked word, or the
    folded piece where a word splits ("cap2")."""
    out: list[tuple[str, str]] = []
    for word in re.findall(r"\w+", _marked(text)):
        pieces = tokens(word)
        out += [(piece, word if len(pieces) == 1 else piece) for piece in pieces]
    return out


# A Vietnamese syllable, folded: an initial consonant, one to three vowels, a final consonant.
_SYLLABLE = re.compile(r"(?:ngh|ng|nh|ch|gh|gi|kh|ph|qu|th|tr|[bcdghklmnprstvx])?[aeiouy]{1,3}(?:ch|ng|nh|[cmnpt])?")


def is_syllable(word: str) -> bool:
    """Whether a folded word can be one Vietnamese syllable: "bhyt", "tnhh", "gplx" cannot (so they
    are initials), though "bhyt" has the vowel y."""
    return _SYLLABLE.fullmatch(word) is not None


_KEYBOARD = ("qwertyuiop", "asdfghjkl", "zxcvbnm")
_NEAR_KEYS = {
    ch: "".join(row[max(0, i - 1) : i + 2] for row in _KEYBOARD[max(0, r - 1) : r + 2]).replace(ch, "")
    for r, row in enumerate(_KEYBOARD)
    for i, ch in enumerate(row)
}  # a phone's neighbouring keys (same column band in the rows above and below)


# Spellings that sound alike in one dialect or another, so people write one for the other: initial
# ch/tr, s/x, d/gi/r, l/n, and final n/ng, c/t ("tạm chú" for "tạm trú", "sổ sanh" for "sổ xanh").
_SOUND_INITIALS = (("ch", "tr"), ("tr", "ch"), ("s", "x"), ("x", "s"), ("d", "gi"), ("gi", "d"), ("r", "d"),
                   ("d", "r"), ("gi", "r"), ("r", "gi"), ("l", "n"), ("n", "l"))  # fmt: skip
_CHAT_INITIALS = (("f", "ph"), ("j", "gi"), ("z", "d"), ("z", "gi"), ("w", "qu"), ("w", "u"), ("dz", "d"))
_SOUND_FINALS = (("ng", "n"), ("n", "ng"), ("c", "t"), ("t", "c"))


def sound_alikes(word: str) -> set[str]:
    """The word with its initial or final consonant written as another that sounds alike."""
    out = {new + word[len(old) :] for old, new in _SOUND_INITIALS if word.startswith(old)}
    out |= {word[: -len(old)] + new for old, new in _SOUND_FINALS if word.endswith(old) and len(word) > len(old) + 1}
    out.discard(word)
    return out


def _edits1(word: str) -> set[str]:
    """Spellings one slip away: two letters swapped, one left out, one typed twice, one neighbouring
    key hit instead, one letter missing, or a consonant that sounds alike."""
    out = sound_alikes(word)
    out |= {word[:i] + word[i + 1] + word[i] + word[i + 2 :] for i in range(len(word) - 1)}
    out |= {word[:i] + word[i + 1 :] for i in range(len(word))}
    out |= {word[:i] + ch + word[i + 1 :] for i in range(len(word)) for ch in _NEAR_KEYS.get(word[i], "")}
    out |= {word[:i] + ch + word[i:] for i in range(len(word) + 1) for ch in _LETTERS}
    out.discard(word)
    return out


_TONES = {"\u0301", "\u0300", "\u0309", "\u0303", "\u0323"}  # sắc, huyền, hỏi, ngã, nặng


@lru_cache(maxsize=8192)
def _marks_key(word: str) -> tuple[str, tuple[str, ...]]:
    """A word's letters with their vowel marks (â, ơ, ư, đ...) and, apart, its tones: a tone put on
    another vowel of the syllable ("chiêú" for "chiếu") is the same word, and hỏi and ngã, which
    many speakers do not tell apart in writing ("xả" for "xã", "nghỉ" for "nghĩ"), count as one."""
    letters, tones = [], []
    for ch in unicodedata.normalize("NFD", word):
        if ch in _TONES:
            tones.append("\u0309" if ch == "\u0303" else ch)
        else:
            letters.append(ch)
    return unicodedata.normalize("NFC", "".join(letters)), tuple(sorted(tones))


def _same_marks(typed: list[str], written: tuple[str, ...], known: frozenset[str] = frozenset()) -> bool:
    """False when a word typed with marks has the written word's letters but other marks ("mặt"
    for "mất"); words typed without marks, or spelled otherwise (a repaired typo), say nothing.
    With `known` (the words as the catalog and lexicon write them), a word typed with marks no
    one writes ("thê", "sổ đõ") is a slipped mark and says nothing either: "thê chấp" is "thế chấp"."""
    for t, w in zip(typed, written, strict=False):
        if known and t not in known:
            continue
        if fold(t) != t and fold(w) != w and fold(t) == fold(w) and _marks_key(t) != _marks_key(w):
            return False
    return True


def _drop_noise_phrases(words: list[tuple[str, str]], lexicon: Lexicon) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    folded = [w for w, _ in words]
    i = 0
    while i < len(words):
        for phrase in lexicon.noise_phrases_by_first.get(folded[i], ()):
            if tuple(folded[i : i + len(phrase)]) == phrase:
                i += len(phrase)
                break
        else:
            out.append(words[i])
            i += 1
    return out


# A pronoun right after a kinship word is a possessive ("bố em", "mẹ tôi", "ông nội mình"): dropped,
# so the kinship word meets what follows ("bố em mất" is "bố mất", a death, not a lost paper).
_KIN = frozenset({"bo", "me", "cha", "ong", "ba", "vo", "chong", "con", "anh", "chi", "noi", "ngoai", "than"})
_POSSESSIVES = frozenset({"em", "toi", "minh", "chau", "tao", "to"})


_UNITS = {"mot": 1, "hai": 2, "ba": 3, "bon": 4, "tu": 4, "nam": 5, "lam": 5, "sau": 6, "bay": 7, "tam": 8,
          "chin": 9}  # fmt: skip


def _number(words: list[str]) -> tuple[int, int] | None:
    """(value, words used) of a number written in words at the start of `words` ("mười hai" 12,
    "mười lăm" 15, "hai mươi mốt" 21, "chín" 9), or None."""
    w = [*words[:3], "", "", ""]
    if w[0] == "muoi":
        return (10 + _UNITS[w[1]], 2) if w[1] in _UNITS else (10, 1)
    if w[0] in _UNITS:
        if w[1] == "muoi":
            return (10 * _UNITS[w[0]] + _UNITS[w[2]], 3) if w[2] in _UNITS else (10 * _UNITS[w[0]], 2)
        return _UNITS[w[0]], 1
    return None


def _spell_numbers(words: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Numbers written in words where a number is meant, as digits: a school grade after "lớp"
    ("lớp mười" is "lớp 10") and an age before "tuổi" ("mười bốn tuổi" is "14 tuổi"). Only there:
    elsewhere "ba", "năm", "sáu", "tám" are a father, a year, after, temporary."""
    folded = [w for w, _ in words]
    out: list[tuple[str, str]] = []
    i = 0
    while i < len(words):
        if folded[i] == "lop" and (found := _number(folded[i + 1 : i + 4])):
            out += [words[i], (str(found[0]), str(found[0]))]
            i += 1 + found[1]
            continue
        for n in (3, 2, 1):  # the longest number ending right before "tuổi"
            if (
                i + n < len(words)
                and folded[i + n] == "tuoi"
                and (found := _number(folded[i : i + n]))
                and found[1] == n
            ):
                out.append((str(found[0]), str(found[0])))
                i += n
                break
        else:
            out.append(words[i])
            i += 1
    return out


# "mất" said of a person is a death ("bố tôi mới mất thì làm giấy tờ gì", "bố em đang hưởng lương
# hưu thì mất"), said of a thing a loss ("mẹ làm mất sổ đỏ", "bố bị mất căn cước"): a person or kin
# word before it, no "bị / làm / đánh" right before it, and nothing after it but the end of the
# clause or a word that starts another ("thì", "rồi", "làm", "cần"...).
_PERSONS = _KIN | {"cu", "nguoi", "trai", "gai"}  # "em trai", "em gái": "em" alone is "I"
_LOSS_VERBS = frozenset({"bi", "lam", "danh", "vi", "do", "that", "khong", "chua", "sap", "so"})
_CLAUSE_STARTS = frozenset({"thi", "roi", "lam", "can", "phai", "duoc", "nen", "muon", "xin", "de", "ma", "va",
                            "gia", "khong", "co", "nay", "hom", "nam", "thang", "tuan", "ngay", "luc", "vao",
                            "tai", "nhung", "o", "thu", "gi", "sao", "the", "nhu", "di", "ve", "nhe", "a",
                            "nha", "hoi", "lau", "tu", "khi", "sau", "truoc", "da", "cach"})  # fmt: skip
_PERSON_SPAN = 8  # words between the person and "mất"


def _deaths(query: str) -> str:
    """The query with "mất" said of a person written "qua đời"."""
    parts = re.findall(r"\w+|[^\w\s]", _marked(query))
    words = [i for i, part in enumerate(parts) if part[0].isalnum() or part[0] == "_"]
    out = list(parts)
    for n, i in enumerate(words):
        if fold(parts[i]) != "mat" or (parts[i] != "mat" and parts[i] != "mất"):
            continue
        before = [fold(parts[j]) for j in words[max(0, n - _PERSON_SPAN) : n]]
        after = parts[i + 1] if i + 1 < len(parts) else ""
        ends = not after or not (after[0].isalnum()) or fold(after) in _CLAUSE_STARTS
        if before and before[-1] not in _LOSS_VERBS and _PERSONS & set(before) and ends:
            out[i] = "qua đời" if parts[i] == "mất" else "qua doi"
    return " ".join(out) if out != parts else query


def off_topic(query: str, lexicon: Lexicon) -> list[tuple[str, ...]]:
    """The lexicon's off-topic phrases the query holds, folded ("giá vàng hôm nay": ("gia",),
    ("gia", "vang")): compared with their marks, or folded where the query's word is typed
    without marks and the phrase has two words or more ("gia bao nhieu", not "gia" alone, which is
    also "gia hạn", "gia đình")."""
    typed = re.findall(r"\w+", _marked(query))
    if not typed:
        return []
    folded = [fold(t) for t in typed]
    plain = [f == t for f, t in zip(folded, typed, strict=True)]
    by_marked, by_folded = lexicon.off_topic_index
    out: list[tuple[str, ...]] = []
    for i, (t, f) in enumerate(zip(typed, folded, strict=True)):
        for phrase, phrase_folded in (*by_marked.get(t, ()), *(by_folded.get(f, ()) if plain[i] else ())):
            n = len(phrase)
            if phrase_folded in out or i + n > len(typed):
                continue
            if all(
                typed[i + j] == phrase[j] or (n > 1 and plain[i + j] and folded[i + j] == phrase_folded[j])
                for j in range(1, n)
            ):
                out.append(phrase_folded)
    return out


_DONE = frozenset({"rồi", "roi"})
_ASKED_AFTER = 2  # words after "rồi" that make it a clause of its own


def _background_end(words: list[tuple[str, str]]) -> int:
    """Where what the citizen says was done already ends: after the last "rồi" followed by a
    clause of its own ("cưới vợ rồi muốn tách hộ khẩu riêng", "có hợp đồng công chứng rồi, giờ
    sang tên sổ đỏ"); 0 when there is none."""
    ends = [i + 1 for i, (_, m) in enumerate(words) if m in _DONE and len(words) - i - 1 >= _ASKED_AFTER]
    return ends[-1] if ends else 0


# "để" opens what the paper is for ("làm căn cước để đi máy bay", "chuyển đất vườn lên đất ở để xây
# nhà", "quyết toán thuế để được hoàn tiền"); typed without marks, "de" is also "đề" (đề nghị, đề án).
_PURPOSE = frozenset({"để"})
_PURPOSE_FOLDED = "de"
_NOT_PURPOSE_AFTER = frozenset({"nghi", "an", "xuat", "cuong", "tai", "thi"})
# "để lại" (left behind: "bố mất để lại mảnh đất"), "để dành" (saved) are verbs, marked or not.
_NOT_PURPOSE_VERB = frozenset({"lai", "danh"})


def _purpose_start(words: list[tuple[str, str]]) -> int | None:
    """Where the last purpose clause starts (the position after its "để"), or None."""
    for i in range(len(words) - 2, -1, -1):
        _, marked = words[i]
        if words[i + 1][0] in _NOT_PURPOSE_VERB:
            continue
        if marked in _PURPOSE or (
            marked == _PURPOSE_FOLDED and fold(words[i + 1][1]) == words[i + 1][1] and
            words[i + 1][0] not in _NOT_PURPOSE_AFTER
        ):  # fmt: skip
            return i + 1
    return None


def _drop_possessives(words: list[tuple[str, str]]) -> list[tuple[str, str]]:
    return [w for i, w in enumerate(words) if not (i and w[0] in _POSSESSIVES and words[i - 1][0] in _KIN)]


def telex_repairs(word: str) -> list[str]:
    """Spellings the word may have had before Telex/VNI marks leaked into it: "kys" -> "ky",
    "tamj" -> "tam", "dduwowngf" -> "duong", "ky1" -> "ky". Telex tone keys (s f r x j) are never
    a Vietnamese final consonant, so after the first vowel they can only be marks; before it they
    are letters ("sinh", "xin")."""
    candidates: list[str] = []
    base = re.sub(r"(?<=[a-z])[1-9]$", "", word)  # VNI: a tone digit typed after the letters
    if base != word:
        candidates.append(base)
    for double, single in _TELEX_VOWELS:
        base = base.replace(double, single)
    first_vowel = next((i for i, ch in enumerate(base) if ch in _VOWELS), None)
    if first_vowel is not None:
        base = base[: first_vowel + 1] + "".join(ch for ch in base[first_vowel + 1 :] if ch not in _TELEX_TONES)
    if base != word and base not in candidates:
        candidates.append(base)
    return candidates


class QueryParser:
    """Parses queries against one vocabulary (the words of the catalog and of the lexicon)."""

    def __init__(
        self,
        vocabulary: set[str],
        lexicon: Lexicon | None = None,
        compounds: frozenset[tuple[str, str]] = frozenset(),
        abbreviations: dict[str, tuple[tuple[str, ...], ...]] | None = None,
        bigrams: frozenset[str] | dict[str, int] = frozenset(),
        marked_vocabulary: frozenset[str] = frozenset(),
    ) -> None:
        self.lexicon = lexicon or default_lexicon()
        # Two-syllable words the catalog uses as one ("đăng ký", "giấy phép"): one concept, not two.
        self.compounds = compounds
        # Initials of the catalog's frequent phrases ("gcn" -> giấy chứng nhận, "qsdd" -> quyền sử
        # dụng đất), most frequent first; the lexicon's own abbreviations take precedence.
        self.abbreviations = abbreviations or {}
        # Adjacent words the catalog writes in several procedures ("khai sinh", "tam tru"), with how
        # many procedures write them (a set: 2 each): a slip that makes another real word ("khau
        # sinh", "tam yru") shows as a pair nobody writes.
        self.bigrams: dict[str, int] = dict.fromkeys(bigrams, 2) if not isinstance(bigrams, dict) else dict(bigrams)
        for key in self.lexicon.synonyms:
            for a, b in itertools.pairwise(key):
                self.bigrams.setdefault(f"{a} {b}", 1)
        # The lexicon's words are known words too, context ones included ("kon tum" is a place, not
        # a slip for "on tu").
        self.vocabulary = vocabulary | {t for key in [*self.lexicon.synonyms, *self.lexicon.context] for t in key}
        # Words as the catalog writes them with their marks (lower case): a word typed so is no slip.
        self.marked_vocabulary = marked_vocabulary | {
            w for form in self.lexicon.marked_keys.values() for key in form for w in key
        }
        # Context words as the lexicon writes them with their marks ("má", "đầu"): a marked word
        # neither these nor the catalog write is a slipped mark ("đàu"), not another word.
        self._context_marked_words = frozenset(w for phrase in self.lexicon.context_marked for w in phrase.split())
        # Fuzzy correction compares against words of 3+ letters: shorter ones are too ambiguous.
        self._fuzzy_pool = sorted(w for w in self.vocabulary if len(w) >= 3 and w.isalpha())

    def parse(self, query: str) -> list[Concept]:
        typed = marked_tokens(_deaths(query))
        # Only fillers, greetings and thanks ("em cảm ơn ạ", "cho hỏi"): nothing to search for.
        pairs = _drop_possessives(_drop_noise_phrases(_spell_numbers(typed), self.lexicon))
        pairs = [piece for pair in pairs for piece in self._split_joined(pair)]
        while (
            pairs
            and pairs[-1][1] in self.lexicon.noise_final
            and not (
                len(pairs) > 1 and (pairs[-2][0], pairs[-1][0]) in self.lexicon.synonyms  # "xây nha": xây nhà
            )
        ):
            pairs = pairs[:-1]
        words = [w for w, _ in pairs]
        spelled = self._repair_pairs(words, [self._spell(w, m) for w, m in pairs], [m for _, m in pairs])
        concepts = self._group(words, spelled, [m for _, m in pairs])
        # Filler words go only after phrases are found: "con" is noise in "chuyển trường cho con" but
        # part of "nhận con".
        meaningful = [c for c in concepts if not self._is_noise(c)]
        background = _background_end(pairs)
        for concept in meaningful:
            # What was done already ("cưới vợ rồi muốn tách hộ khẩu") is context to what is asked.
            concept.context = self._is_context(concept) or concept.start < background
        purpose = _purpose_start(pairs)
        if purpose is not None and any(
            c.alternatives[0].phrase and not c.context and c.start < purpose for c in meaningful
        ):
            # What it is for is context once a lexicon phrase before "để" has said what is asked
            # ("làm căn cước để đi máy bay": the card, not an aircraft's customs).
            for concept in meaningful:
                if concept.start >= purpose:
                    concept.context = True
        return meaningful

    def _is_context(self, concept: Concept) -> bool:
        """Typed with marks, compared with marks ("má" is context, "mã" is not); typed without or
        with a slipped mark ("lần đàu"), compared folded, also after a Telex repair ("bes" is "bé")."""
        if fold(concept.marked) != concept.marked and not self._slipped_marks(concept.marked):
            return concept.marked in self.lexicon.context_marked
        return bool({tuple(concept.typed.split()), concept.alternatives[0].tokens} & self.lexicon.context)

    def _slipped_marks(self, marked: str) -> bool:
        """Some word typed with marks that neither the catalog nor the lexicon writes so ("đàu",
        "cuốc"): its marks say nothing about which word was meant."""
        known = self.marked_vocabulary
        return bool(known) and any(
            fold(w) != w and w not in known and w not in self._context_marked_words for w in marked.split()
        )

    def _is_noise(self, concept: Concept) -> bool:
        first = concept.alternatives[0]
        if first.phrase:
            return False
        return concept.typed in self.lexicon.noise or first.tokens[0] in self.lexicon.noise

    def _split_joined(self, pair: tuple[str, str]) -> list[tuple[str, str]]:
        """Two syllables typed without the space between them ("dangky", "khaisinh", "tamtru"):
        the two words, when the whole is no catalog word and each half is (with a vowel, 2+ letters)."""
        word = pair[0]
        if len(word) < 5 or word in self.vocabulary or any(c in self.vocabulary for c in telex_repairs(word)):
            return [pair]
        splits = [(word[:i], word[i:]) for i in range(2, len(word) - 1)]
        found = [(a, b) for a, b in splits if a in self.vocabulary and b in self.vocabulary and _VOWELS & set(a)
                 and _VOWELS & set(b)]  # fmt: skip
        if not found:
            return [pair]
        # A pair the lexicon or the catalog writes together first ("ho chieu", not "hoc hieu").
        a, b = max(found, key=lambda ab: (ab in self.lexicon.synonyms or ab in self.compounds, min(map(len, ab))))
        return [(a, a), (b, b)]

    def _repair_pairs(
        self, words: list[str], spelled: list[list[Alternative]], marked: list[str]
    ) -> list[list[Alternative]]:
        """A word next to another that the catalog never writes beside it, when one slip of either
        (a swap, a letter left out or doubled, a neighbouring key) makes a pair the catalog does
        write: "khau sinh" -> "khai sinh", "kt hon" -> "ket hon", "tam yru" -> "tam tru". Fillers,
        context words and words already inside a lexicon phrase are left alone. The repair comes
        first when the word is unknown or the repaired pair is a lexicon phrase or a catalog
        compound (so phrases are found on it); otherwise after the word as typed."""
        out = list(spelled)
        # A guessed typo is no spelling to pair by: the word as typed is ("căn cướt": "cuot", not its
        # guess "cot", is one slip from "cuoc", which the catalog writes after "can").
        best = [w if alts[0].why in _AS_TYPED or alts[0].why == "typo" else alts[0].tokens[-1]
                for w, alts in zip(words, out, strict=True)]  # fmt: skip
        take = self._segment(best, marked)
        in_phrase = [False] * len(words)
        for i, n in enumerate(take):
            if n > 1:
                in_phrase[i : i + n] = [True] * n
        # Initials the catalog's phrases give ("snh" -> "sáp nhập hợp") are guesses too: a slip that
        # makes a pair the catalog writes ("khai snh" -> "khai sinh") is the likelier reading.
        # The lexicon's own abbreviations ("cccd", "gks") are phrases, never repaired.
        # A context word is never repaired, but the pair it makes is evidence for its neighbour
        # ("hàng thág" -> "hàng tháng").
        anchor = [
            not in_phrase[i] and best[i].isalpha() and len(best[i]) >= 2 and best[i] not in self.lexicon.noise
            and marked[i] not in self.lexicon.noise_accented
            for i in range(len(words))
        ]  # fmt: skip
        plain = [anchor[i] and (best[i],) not in self.lexicon.context for i in range(len(words))]
        self._swap_i_y(best, out, plain)
        # A word typed with the marks the catalog writes it with ("nhà", "cao", "chưa") was typed as
        # meant: no keyboard slip is guessed for it, only a consonant that sounds alike ("tạm chú"
        # is "tạm trú", though the catalog writes "chú"). One typed with marks the catalog never
        # gives it ("sảng", "cướt") is a slip: repaired first, and its repair comes before the word.
        as_written = [fold(m) != m and m in self.marked_vocabulary for m in marked]
        misspelt = [fold(m) != m and bool(self.marked_vocabulary) and m not in self.marked_vocabulary for m in marked]
        # Every repair a pair the catalog never writes offers: the unknown or misspelt word's first,
        # then the repair whose pair more procedures write ("thai sảng": "thai sản" in three, not
        # "do thai" -> "do tai"), then left to right. A word is repaired once, and a pair of which
        # one word is repaired already is mended.
        offers = []
        for i in range(len(words) - 1):
            a, b = best[i], best[i + 1]
            if not (anchor[i] and anchor[i + 1] and (plain[i] or plain[i + 1])) or f"{a} {b}" in self.bigrams:
                continue
            for k in (i, i + 1):
                # A real two-letter word ("do", "ba") is too easily another one.
                if not plain[k] or (len(best[k]) < 3 and out[k][0].why not in {"unknown", "abbreviation"}):
                    continue
                fixed = self._pair_repairs(a, b, k == i)
                if as_written[k]:
                    fixed = [(w, n) for w, n in fixed if w in sound_alikes(best[k])]
                if fixed:
                    suspect = out[k][0].why in {"unknown", "typo", "abbreviation"} or misspelt[k]
                    offers.append((not suspect, -fixed[0][1], i, k, fixed))
        repaired: set[int] = set()
        mended: set[int] = set()  # pairs (by their left position) with a word repaired
        for _, _, i, k, fixed in sorted(offers):
            if k in repaired or i in mended:
                continue
            words_fixed = [w for w, _ in fixed]
            repairs = [Alternative((w,), 0.75, "typo") for w in words_fixed[:3]]
            pair = (words_fixed[0], best[i + 1]) if k == i else (best[i], words_fixed[0])
            strong = (out[k][0].why in {"unknown", "typo"} or misspelt[k] or pair in self.lexicon.synonyms
                      or pair in self.compounds)  # fmt: skip
            out[k] = repairs + out[k] if strong else out[k] + repairs
            repaired.add(k)
            mended.update({k - 1, k})
        return out

    def _pair_repairs(self, a: str, b: str, left: bool) -> list[tuple[str, int]]:
        """One slip of `a` (left) or `b` that makes a pair the catalog writes: (word, how many
        procedures write the pair), most written first, then alphabetically."""
        word = a if left else b
        found = [(w, self.bigrams.get(f"{w} {b}" if left else f"{a} {w}", 0)) for w in _edits1(word)]
        return sorted(((w, n) for w, n in found if n), key=lambda f: (-f[1], f[0]))

    def _swap_i_y(self, best: list[str], out: list[list[Alternative]], plain: list[bool]) -> None:
        """A final i or y after consonants is written either way ("kí"/"ký", "lí"/"lý"), and both
        spellings may be catalog words ("ki", "ky"): the one that makes a pair the catalog writes
        with a neighbour ("đăng kí" -> "đăng ký") is the word meant, with no slip involved."""
        for i, word in enumerate(best):
            if not plain[i] or not _LONE_I_OR_Y.fullmatch(word):
                continue
            swapped = word[:-1] + ("y" if word.endswith("i") else "i")
            if swapped not in self.vocabulary:
                continue
            neighbours = [f"{best[i - 1]} {{}}"] if i else []
            neighbours += [f"{{}} {best[i + 1]}"] if i + 1 < len(best) else []
            if any(n.format(swapped) in self.bigrams and n.format(word) not in self.bigrams for n in neighbours):
                best[i] = swapped
                out[i] = [Alternative((swapped,), 0.95, "spelling")]

    def _spell(self, word: str, marked: str = "") -> list[Alternative]:
        """The word as typed if known, else its Telex/VNI repair, else the phrases it abbreviates,
        else the closest catalog word, else "unknown". A word typed with its marks ("hôm", "ngon")
        was typed as meant: no closest catalog word is guessed for it (a slip of it still shows
        as a pair nobody writes, which _repair_pairs mends: "cá nhâm" -> "cá nhân")."""
        if word.isdigit():
            return [Alternative((word,), 1.0, "number")]
        expansions = self._abbreviation(word)
        if word in self.vocabulary:
            return [Alternative((word,), 1.0, "typed"), *expansions]
        if expansions:
            return expansions
        for candidate in telex_repairs(word):
            if candidate in self.vocabulary:
                return [Alternative((candidate,), 0.95, "telex")]
        # Chat spellings of initial consonants ("fép" for "phép", "jấy" for "giấy", "zo" for "vô").
        for old, new in _CHAT_INITIALS:
            if word.startswith(old) and (candidate := new + word[len(old) :]) in self.vocabulary:
                return [Alternative((candidate,), 0.9, "spelling")]
        # A lone final i or y after consonants is spelled either way ("kí"/"ký", "lí"/"lý"); not in
        # diphthongs, where they differ ("gái" is not "gáy").
        if _LONE_I_OR_Y.fullmatch(word):
            swapped = word[:-1] + ("y" if word.endswith("i") else "i")
            if swapped in self.vocabulary:
                return [Alternative((swapped,), 0.95, "spelling")]
        # A key held or hit twice ("kkhai", "thuong"): no Vietnamese syllable doubles a consonant.
        if _VOWELS & set(word) and (single := _DOUBLED.sub(r"\1", word)) != word and single in self.vocabulary:
            return [Alternative((single,), 0.9, "spelling")]
        if MARKED_AS_MEANT and marked and fold(marked) != marked:
            return [Alternative((word,), 1.0, "unknown")]
        return self._typo(word)

    def _abbreviation(self, word: str) -> list[Alternative]:
        """A word with no vowel is no Vietnamese syllable: read it as the initials of a catalog
        phrase ("tncn" -> thu nhập cá nhân, "htx" -> hợp tác xã). Several phrases may share them;
        each is an alternative and the procedure that matches the rest of the query decides."""
        if is_syllable(word) or not word.isalpha() or len(word) < 2 or (word,) in self.lexicon.synonyms:
            return []
        return [Alternative(phrase, 0.85, "abbreviation", True) for phrase in self.abbreviations.get(word, ())]

    @lru_cache(maxsize=4096)  # noqa: B019 - one parser lives as long as its index; queries repeat
    def _typo(self, word: str) -> list[Alternative]:
        # A slip in a short syllable makes another real syllable ("giat" is not a typo of "gia"):
        # only longer words are corrected, and a correction is never as sure as a typed word.
        if len(word) < 5:
            # Short words: one slip that still leaves a catalog word, most likely slips first: two
            # neighbouring letters swapped ("khia"), a letter typed twice or too many ("tuu"), a
            # neighbouring key ("tqm"), a letter left out ("giy", "php"). An unknown word is otherwise
            # a heavy unmatched concept; each word it can be is an alternative, the ranker picks by
            # context, and a correction is never as sure as a typed word.
            found: dict[str, float] = {}
            slips = (
                (0.8, {word[:i] + word[i + 1] + word[i] + word[i + 2 :] for i in range(len(word) - 1)}),
                (0.75, {word[:i] + word[i + 1 :] for i in range(len(word))} if len(word) >= 3 else set()),
                (0.7, {word[:i] + ch + word[i + 1 :] for i in range(len(word)) for ch in _NEAR_KEYS.get(word[i], "")}
                 if len(word) >= 3 else set()),
                (0.7, {word[:i] + ch + word[i:] for i in range(len(word) + 1) for ch in _LETTERS}
                 if len(word) >= 3 else set()),
            )  # fmt: skip
            for confidence, candidates in slips:
                for w in sorted(candidates & self.vocabulary):
                    if len(w) >= 2:
                        found.setdefault(w, confidence)
            known = [Alternative((w,), c, "typo") for w, c in sorted(found.items(), key=lambda f: -f[1])[:6]]
            return known or [Alternative((word,), 1.0, "unknown")]
        matches = process.extract(word, self._fuzzy_pool, scorer=fuzz.ratio, score_cutoff=80, limit=3)
        if not matches:
            return [Alternative((word,), 1.0, "unknown")]
        best = matches[0][1]
        return [Alternative((m,), 0.8 * score / 100, "typo") for m, score, _ in matches if score >= best - 5]

    def _group(self, words: list[str], spelled: list[list[Alternative]], marked: list[str]) -> list[Concept]:
        """Join runs of words that form a lexicon phrase ("so do", "bang lai xe") into one concept
        with the phrase's synonyms as alternatives; other words stay concepts of their own."""
        concepts: list[Concept] = []
        # The spelling each word is matched by: a repair if any, else the word as typed.
        best = [w if alts[0].why in _AS_TYPED else alts[0].tokens[0] for w, alts in zip(words, spelled, strict=True)]
        take = self._segment(best, marked)
        i = 0
        while i < len(words):
            if n := take[i]:
                key = tuple(best[i : i + n])
                confidence = min(a.confidence for alts in spelled[i : i + n] for a in alts[:1])
                concept = Concept(" ".join(words[i : i + n]), [Alternative(key, confidence, "typed", True)],
                                  marked=" ".join(marked[i : i + n]),
                                  life=self.lexicon.concepts.get(key, frozenset()), start=i)  # fmt: skip
                # Expansions are listed most specific first; a later, more generic one ("giấy chứng
                # nhận" for "sổ đỏ") is a little less sure, so the specific one wins a tie.
                expansions = [e for e in self.lexicon.synonyms.get(key, ()) if e != key]
                concept.alternatives += [
                    Alternative(expansion, confidence * (0.95 - 0.04 * k), "synonym", True)
                    for k, expansion in enumerate(expansions)
                ]
                concepts.append(concept)
                i += n
                continue
            if self._is_compound(spelled, i):
                pair = (best[i], best[i + 1])
                confidence = min(spelled[i][0].confidence, spelled[i + 1][0].confidence)
                concepts.append(Concept(" ".join(words[i : i + 2]), [Alternative(pair, confidence, "typed")],
                                        marked=" ".join(marked[i : i + 2]), start=i))  # fmt: skip
                i += 2
                continue
            if marked[i] not in self.lexicon.noise_accented:
                concepts.append(Concept(words[i], list(spelled[i]), marked=marked[i], start=i))  # copy: _typo caches
            i += 1
        return concepts

    def _is_phrase(self, key: tuple[str, ...], typed: list[str]) -> bool:
        if not (key in self.lexicon.synonyms or (len(key) > 1 and key in self.lexicon.context)):
            return False
        forms = self.lexicon.marked_keys.get(key)
        return not forms or any(_same_marks(typed, form, self.marked_vocabulary) for form in forms)

    def _segment(self, best: list[str], marked: list[str]) -> list[int]:
        """Per position, the length of the lexicon phrase that starts there (0: none), choosing the
        segmentation that covers the most words in the longest phrases (sum of squared lengths).
        On a tie the later phrase wins: actions come first and are the generic part ("mất" + "sổ
        hồng", not "mất sổ" + "hồng")."""
        size = len(best)
        value = [0] * (size + 1)
        take = [0] * (size + 1)
        for i in range(size - 1, -1, -1):
            value[i], take[i] = value[i + 1], 0
            for n in range(1, min(MAX_PHRASE_WORDS, size - i) + 1):
                if n * n + value[i + n] > value[i] and self._is_phrase(tuple(best[i : i + n]), marked[i : i + n]):
                    value[i], take[i] = n * n + value[i + n], n
        return take

    def _is_compound(self, spelled: list[list[Alternative]], i: int) -> bool:
        if i + 1 >= len(spelled) or len(spelled[i]) != 1 or len(spelled[i + 1]) != 1:
            return False  # a guessed spelling keeps its alternatives as a word of its own
        return (spelled[i][0].tokens[0], spelled[i + 1][0].tokens[0]) in self.compounds
