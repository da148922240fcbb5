"""Vietnamese as citizens type it on Zalo, brought to one form the classifier and the rules read:
invisible marks removed, emoji turned into the few signals they carry, accents folded, letters
held down collapsed ("alooo"), chat abbreviations spelled out ("ko dc" -> "khong duoc"), and Telex
leftovers repaired where the repaired word is one we know ("cuwu" -> "cuu")."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection

from rapidfuzz import process
from rapidfuzz.distance import OSA

from lookup.query_text import telex_repairs
from lookup.text import fold

# Zero-width spaces and joiners, direction marks and embeddings, word joiners, the BOM.
_INVISIBLE = re.compile("[\u00ad\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]")
_EMOJI_SIGNALS = {
    "emojiok": "👍👌🙏❤♥💕💖😊☺🥰😍😘🤗👏💯✅",
    "emojiangry": "😡🤬😤😠👎💢🖕",
    "emojisad": "😭😢😞☹🙁😔😩😫",
    "emojiwave": "👋🙋",
}
_EMOJI_TO_SIGNAL = {ch: signal for signal, chars in _EMOJI_SIGNALS.items() for ch in chars}
# A vowel held down ("alooo", "daaa") or any letter repeated at a word's end ("okkk"); never a
# consonant run inside a word, which abbreviations have ("cccd").
_HELD_LETTER = re.compile(r"([aeiouy])\1{2,}|([a-z])\2{2,}$")
_TOKEN = re.compile(r"[a-z0-9]+|\?")
_TYPED_TOKEN = re.compile(r"[^\W_]+|\?")  # a word as typed, marks kept

# Zalo chat shorthand -> the words it stands for (folded), applied only to words typed without marks.
# Not "hong", "ty", "nha", "kg", "hn": once the marks are gone they are real words too (sổ hồng, tỷ,
# nhà, kg, Hà Nội).
ABBREVIATIONS: dict[str, str] = {
    "ko": "khong", "k": "khong", "kh": "khong", "hok": "khong", "khg": "khong", "dc": "duoc", "dk": "dang ky",
    "dky": "dang ky", "dki": "dang ky", "j": "gi", "ntn": "nhu the nao",
    "bn": "bao nhieu", "bnhieu": "bao nhieu", "bh": "bao gio", "bjo": "bao gio", "sdt": "so dien thoai",
    "dt": "dien thoai", "ad": "admin", "e": "em", "mk": "minh", "mik": "minh", "mh": "minh", "vs": "voi",
    "hs": "ho so", "tk": "tai khoan", "dvc": "dich vu cong", "z": "vay", "v": "vay", "r": "roi",
    "oke": "ok", "okie": "ok", "oki": "ok", "okela": "ok", "okay": "ok", "uk": "ok", "uh": "ok", "um": "ok",
    "tks": "cam on", "thanks": "cam on", "thank": "cam on", "thx": "cam on", "camon": "cam on",
    "cmon": "cam on", "pls": "giup", "plz": "giup", "lm": "lam", "ng": "nguoi",
    "trc": "truoc", "ck": "chuyen khoan", "vnid": "vneid", "tthc": "thu tuc hanh chinh", "ib": "nhan tin",
    "cccd": "cccd can cuoc", "gplx": "gplx giay phep lai xe", "nhiu": "nhieu", "wa": "qua", "ak": "a",
    "ah": "a", "nhen": "nhe", "lq": "lien quan",
}  # fmt: skip


class Vocabulary(frozenset[str]):
    """The folded words the model knows, with a one-edit spelling correction for the words it does
    not ("onlne" -> "online", "tine" -> "tien"): a typo changes a word's character n-grams enough to
    lose it, and what is misspelt is often the very word that says what is asked."""

    MIN_LENGTH = 4  # shorter words are too often another real word one edit away

    def __new__(cls, words: Collection[str]) -> Vocabulary:
        return super().__new__(cls, words)

    def __init__(self, words: Collection[str]) -> None:
        self._by_length: dict[int, list[str]] = {}
        for word in self:
            self._by_length.setdefault(len(word), []).append(word)
        for same_length in self._by_length.values():
            same_length.sort()
        # The words by their letters, alphabetical: a swap of two letters keeps them ("tine", "tien").
        self._by_letters: dict[str, list[str]] = {}
        for same_length in self._by_length.values():
            for word in same_length:
                self._by_letters.setdefault("".join(sorted(word)), []).append(word)
        self._cache: dict[str, str] = {}

    def correct(self, word: str) -> str:
        """The known word one edit away, else `word` itself. Among several, two letters swapped first
        ("tine" is "tien", not "line"), then a word of the same length (a letter mistyped; "tine" is
        not "tin"), then one a letter longer
        (a letter left out: "onlne"), then shorter; alphabetical within a length."""
        if len(word) < self.MIN_LENGTH or not word.isalpha():
            return word
        cached = self._cache.get(word)
        if cached is None:
            # Two letters typed in each other's place first: "tine" is "tien" before "line".
            swapped = [w for w in self._by_letters.get("".join(sorted(word)), ()) if w != word]
            candidates = [w for n in (len(word), len(word) + 1, len(word) - 1) for w in self._by_length.get(n, ())]
            match = process.extractOne(word, swapped, scorer=OSA.distance, score_cutoff=1)
            completed = None if match else self._digraph_completed(word)
            if completed is None and match is None:
                match = process.extractOne(word, candidates, scorer=OSA.distance, score_cutoff=1)
            cached = completed or (match[0] if match else word)
            if len(self._cache) < 50_000:  # bounded: citizens can type any number of new words
                self._cache[word] = cached
        return cached

    def _digraph_completed(self, word: str) -> str | None:
        """The known word that is `word` with one letter of a digraph put back ("kông" -> "không",
        "khog" -> "khong", "nghia" from "ngia"): the letter of a pair most often left out, so it goes
        before a letter mistyped ("kong" is not "bong", "khog" not "khoa")."""
        for i in range(len(word) + 1):
            for letter in _DIGRAPH_LETTERS:
                longer = word[:i] + letter + word[i:]
                if (longer[max(i - 1, 0) : i + 1] in _DIGRAPHS or longer[i : i + 2] in _DIGRAPHS) and longer in self:
                    return longer
        return None


# Vietnamese letter pairs spelling one sound; typing fast, one of the two is often dropped.
_DIGRAPHS = frozenset({"kh", "ng", "nh", "ch", "th", "tr", "gh", "ph", "gi", "qu"})
_DIGRAPH_LETTERS = "hngiu"  # the letters those pairs lose: the h of kh/nh/ch/th/gh/ph, n or g of ng, i of gi, u of qu


def clean(text: str) -> str:
    """NFC without invisible marks: the text as shown back to the citizen or passed to search."""
    return _INVISIBLE.sub("", unicodedata.normalize("NFC", text)).strip()


def _signals(text: str) -> str:
    out = []
    for ch in text:
        signal = _EMOJI_TO_SIGNAL.get(ch)
        if signal:
            out.append(f" {signal} ")
        elif unicodedata.category(ch) in ("So", "Sk", "Cs", "Co") or ch in "\ufe0f\u20e3":
            out.append(" ")
        else:
            out.append(ch)
    return "".join(out)


def tokens(text: str, vocabulary: Collection[str] = ()) -> list[str]:
    """The normalised words of `text`; `vocabulary` (folded words we know) enables Telex repairs."""
    words: list[str] = []
    for typed in _TYPED_TOKEN.findall(_signals(clean(text)).lower()):
        bare = fold(typed)
        # Shorthand is typed without marks ("đ" is a letter: "đc" is shorthand too): "ko" is "không",
        # but "hồng" (sổ hồng) is not "hong", nor "nhà" "nha".
        unmarked = typed.replace("đ", "d") == bare
        for word in _TOKEN.findall(bare):
            if unmarked and word in ABBREVIATIONS:
                words += ABBREVIATIONS[word].split()
                continue
            word = _HELD_LETTER.sub(lambda m: m.group(1) or m.group(2), word)
            if unmarked and word in ABBREVIATIONS:  # "okkk"
                words += ABBREVIATIONS[word].split()
                continue
            words.append(_known(word, vocabulary))
    return words


def _known(word: str, vocabulary: Collection[str]) -> str:
    if vocabulary and word not in vocabulary and word.isalpha():
        word = next((c for c in telex_repairs(word) if c in vocabulary), word)
        if word not in vocabulary and isinstance(vocabulary, Vocabulary):
            word = vocabulary.correct(word)
    return word


def normalize(text: str, vocabulary: Collection[str] = ()) -> str:
    return " ".join(tokens(text, vocabulary))


def is_empty(text: str) -> bool:
    """Nothing to read: no letter or digit once emoji and marks are gone (an emoji signal counts)."""
    return not any(word != "?" for word in tokens(text))
