"""Remove the page chrome that survives extraction, by generic rules, and normalise what is left.

Rules look at evidence any outlet's page carries, never at one site's strings: how much of a block is
link text, whether a line repeats, where it sits (chrome gathers at the edges of the text), how long it
is, and the small vocabulary of interface words (share, print, log in, related, read more...) in the
languages we follow (en, ko, zh, ja, ru) and a few more seen on wires and dailies.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Sequence

from scraper.extract.blocks import HEADING, PARAGRAPH, Block
from scraper.extract.wire import is_wire_line
from scraper.extract.wordlists import one_of
from scraper.records import Residue

# Runs of spaces that are not already one plain space (a lone " " needs no rewriting, and is most of them).
_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200b\u3000]{2,}|[\t\u00a0\u2000-\u200b\u3000]")
_WORD = re.compile(r"\w+")
_NON_WORDS = re.compile(r"\W+")
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7a3]")
# A character str.isdigit() accepts: decimal digits, and superscript, subscript and circled ones.
_DIGIT = re.compile(r"[\d\u00b2\u00b3\u00b9\u1369-\u1371\u19da\u2070\u2074-\u2079\u2080-\u2089\u2460-\u2468"
                    r"\u2474-\u247c\u2488-\u2490\u24ea\u24f5-\u24fd\u24ff\u2776-\u277e\u2780-\u2788\u278a-\u2792"
                    r"\U00010a40-\U00010a43\U00010e60-\U00010e68\U00011052-\U0001105a\U0001f100-\U0001f10a]")
_SENTENCE_END = re.compile(r"[.!?。！？…»\"”’)\]]\s*$")

# A line that opens with one of these is a pointer to another article, not part of this one.
_RELATED = re.compile(
    r"^\W*(?:related(?: articles?| stories| news| coverage| content| reading)?|read more|read also|also read|"
    r"see also|see more|more on this|more from|more:|read next|recommended|don'?t miss|must read|"
    r"you may also like|you might also like|trending|popular|latest news|editor'?s picks?|watch:?$|most read|"
    r"more (?:[\w'’]+ ){0,3}stories\W*$|meistgelesen|"
    r"lesen sie auch|lesen sie mehr|mehr zum thema|mehr dazu|auch interessant|weitere artikel|"
    r"das könnte sie auch interessieren|lire aussi|à lire aussi|a lire aussi|voir aussi|"
    r"leia também|veja também|leia mais|leer más|lee también|te puede interesar|ver también|"
    r"les også|læs også|läs också|lees ook|lees meer|leggi anche|"
    r"читайте также|читайте нас|смотрите также|по теме|"
    r"관련\s?기사|관련\s?뉴스|함께 보면 좋은|많이 본 뉴스|추천 기사|"
    r"関連記事|関連ニュース|あわせて読みたい|おすすめ情報|おすすめ記事|"
    r"相关新闻|相关阅读|相关报道|延伸阅读|推荐阅读|热点新闻)"
    r"(?:\W|$)",
    re.IGNORECASE,
)

# A heading by which the outlet recommends other articles ("You may also like"): a block of its own, it
# starts the recommendations, whose teasers are prose rather than links. Not "Related articles" or "Read
# also", which outlets also put inside an article, between its paragraphs.
_RECOMMENDS = re.compile(
    r"^\W*(?:you (?:may|might|will|could) (?:also )?(?:like|love|enjoy|be interested in)|"
    r"recommended for you|more stories for you|"
    r"(?:você |voce )?(?:também |tambem )?(?:pode|poderá|podera) (?:também |tambem )?gostar(?: de)?|"
    r"(?:también )?(?:te )?(?:puede|podría|podria)n? (?:también )?gustar|"
    r"vous (?:aimerez|pourriez aimer|pourriez aussi aimer)(?: aussi| également)?|"
    r"(?:das|dies) könnte (?:sie|dich|ihnen|dir) auch (?:interessieren|gefallen)|"
    r"potrebbe(?:ro)? (?:interessarti|piacerti)|ti potrebbe(?:ro)? (?:interessare|piacere)|"
    r"вам (?:также )?может понравиться|"
    r"이런 기사는 어때요|(?:당신이 좋아할 만한|함께 볼만한|함께 볼 만한) ?(?:콘텐츠|기사|뉴스)?|"
    r"あなたへのおすすめ|こちらもおすすめ|"
    r"猜你喜欢|为你推荐|為你推薦)\W*$",
    re.IGNORECASE,
)

# Notices a page prints about itself, whole short lines wherever they stand: the reading time, the paywall, a
# rating or donation prompt, a skip link, an ad slot's placeholder ("$$ARTICLEAD$$", "Story continues below"), an
# embed's consent placeholder ("Ein Klick für den Datenschutz").
_NOTICE = re.compile(
    r"^\W*(?:(?:reading|read) time|lesezeit|tempo de leitura|tiempo de lectura|temps de lecture|durée de lecture|"
    r"время чтения|읽는 ?시간|阅读时间|閱讀時間)\s*[:：]?\s*\d|"
    r"^\W*\d+\s*(?:min(?:ute)?s?\.?|minuten)\s*(?:read|lesezeit)\W*$|"
    r"il vous reste \d[\d.,]*\s*%? de cet article|la suite est réservée aux abonnés|"
    r"this (?:article|story) is (?:only )?(?:available )?(?:for|to) (?:subscribers|members)|"
    r"^\W*(?:wie hat ihnen (?:dieser|der) (?:artikel|beitrag) gefallen|hat ihnen (?:dieser|der) (?:artikel|beitrag) "
    r"gefallen|did you (?:like|enjoy) this (?:article|story)|how would you rate this (?:article|story)|"
    r"was this (?:article|story) helpful|durchschnittliche bewertung|average rating)|"
    r"^\W*(?:hauptinhalt|skip to (?:the )?(?:main )?content|zum inhalt springen|aller au contenu|ir al contenido|"
    r"본문 ?바로 ?가기|メインコンテンツへ(?:移動|スキップ)|跳[到至]主要内容|перейти к содержанию)\W*$|"
    r"^\$\$[a-z_]+\$\$$|story continues below|"
    # the placeholder of embedded content not loaded before consent
    r"ein klick für den datenschutz|^\W*(?:empfohlener )?externer inhalt\W*$|externe inhalte (?:anzeigen|laden)|"
    r"click to (?:load|show|view) (?:the )?(?:content|video|embed|tweet|post)|this content is (?:hosted|provided) by",
    re.IGNORECASE,
)

# Interface words: sharing, printing, accounts, comments, newsletters, ads, tags, copyright.
_UI = re.compile(
    r"(?:\bshare\b|\bprint\b|\bemail\b|\be-mail\b|log ?in|sign ?in|sign up|subscribe|subscription|newsletter|"
    r"comments?\b|\bfollow (?:us|@)|advertisement|\badvertising\b|\bsponsored\b|cookies?\b|\btags?\b|"
    r"copyright|all rights reserved|\(c\)|©|font size|dictionary|\bclose\b|\bmenu\b|\bback to top\b|"
    r"\bteilen\b|drucken|anmelden|abonnieren|kommentare?|anzeige|werbung|"
    r"partager|imprimer|connexion|s'abonner|commentaires?|publicité|"
    r"compartir|imprimir|suscríbete|comentarios?|publicidad|"
    r"поделиться|печать|войти|подписаться|комментари|реклама|"
    r"공유|인쇄|로그인|구독|댓글|광고|기사제보|무단 ?전재|재배포 ?금지|글자 ?크기|"
    r"共有|印刷|ログイン|購読|コメント|広告|無断転載|フォロー|"
    r"分享|打印|登录|订阅|评论|广告|版权所有|转载)",
    re.IGNORECASE,
)

# Language names as they appear in language-selector menus (autonyms and English names).
_LANGUAGE_NAMES = (
    "english", "français", "francais", "french", "deutsch", "german", "español", "espanol", "spanish",
    "português", "portugues", "portuguese", "italiano", "italian", "русский", "русский язык", "russian",
    "한국어", "조선어", "korean", "日本語", "japanese", "中文", "汉语", "漢語", "한어", "简体中文", "繁體中文",
    "简体", "繁體", "chinese", "العربية", "arabic", "türkçe", "turkish", "polski", "nederlands",
    "svenska", "suomi", "suomalainen", "norsk", "dansk", "ελληνικά", "greek", "latina", "latin",
    "indonesian", "bahasa indonesia", "tiếng việt", "vietnamese", "ไทย", "thai", "हिन्दी", "hindi",
    "sanskrit", "українська", "беларуская", "فارسی", "עברית", "magyar", "čeština", "română",
)
_LANGUAGE_MENU = re.compile(
    one_of(sorted((re.escape(name) for name in _LANGUAGE_NAMES), key=len, reverse=True)), re.IGNORECASE
)

# What a date-and-time stamp is made of, in our languages: numbers, month and weekday names, units, and
# the words around them ("updated", "Stand", "Uhr", "입력", "更新").
_STAMP_WORDS = re.compile(
    r"\d+|[年月日時分秒년월일시분초号號]|午前|午後|오전|오후|更新|公開|発表|입력|수정|송고|업데이트|发布|时间|"
    r"(?i:\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\b|"
    r"\b(?:mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun)(?:day)?\b|"
    r"\b(?:montag|dienstag|mittwoch|donnerstag|freitag|samstag|sonntag|lundi|mardi|mercredi|jeudi|vendredi|"
    r"samedi|dimanche|lunes|martes|miércoles|jueves|viernes|sábado|domingo|segunda|terça|quarta|quinta|"
    r"sexta|feira|понедельник|вторник|среда|четверг|пятница|суббота|воскресенье)\b|\b(?:am|pm|a\.m|p\.m|gmt|utc|kst|jst|est|edt|"
    r"cet|cest|msk|updated?|published|posted|modified|last|at|on|of|stand|uhr|aktualisiert|veröffentlicht|"
    r"vom|um|le|à|mis|jour|publié|el|de|a|las|actualizado|publicado|atualizado|em|às|"
    r"janvier|février|mars|avril|mai|juin|juillet|août|septembre|octobre|novembre|décembre|januar|februar|"
    r"märz|juni|juli|oktober|dezember|enero|febrero|marzo|abril|mayo|junio|julio|agosto|septiembre|"
    r"octubre|noviembre|diciembre|в|г|года?|обновлено|опубликовано|"
    r"январ\w*|феврал\w*|март\w*|апрел\w*|ма[яй]|июн\w*|июл\w*|август\w*|сентябр\w*|октябр\w*|"
    r"ноябр\w*|декабр\w*)\b)"
)
# Datelines of time stamps and bylines printed around the text: "Updated 14:05", "By Jane Doe", "Von X".
_STAMP = re.compile(
    r"^(?:published|updated|posted|last updated|modified|stand|aktualisiert|veröffentlicht|publié|"
    r"mis à jour|actualizado|publicado|atualizado|обновлено|опубликовано|입력|수정|송고|更新|公開|发布|"
    r"发布时间|来源)\b",
    re.IGNORECASE,
)
_BYLINE = re.compile(
    r"^(?:by|von|par|por|di|door|av|af|ved|автор|текст|글|기자|文|記者|记者)\s*[:：]?\s+\S",
    re.IGNORECASE,
)
_DATEISH = re.compile(
    r"\b\d{1,4}[./-]\d{1,2}[./-]\d{1,4}\b|\b\d{1,2}:\d{2}\b|\d{4}\s*[年년]|\b(?:19|20)\d{2}\b"
)

# A comment or log-in box: the short fragments around such a line belong to the same box.
_BOX = re.compile(r"log ?in|sign ?in|comments?\b|kommentar|commentaire|comentario|комментари|댓글|로그인|"
                  r"コメント|ログイン|评论|登录", re.IGNORECASE)
# Words of a prompt addressed to the reader ("please log in", "click to", "tap to").
_PROMPT = re.compile(r"\b(?:please|click|tap|must|to write|to comment|to post|bitte|veuillez|por favor|"
                     r"пожалуйста|해주세요|하세요|してください|请)\b|해 ?주세요|하세요|ください|请", re.IGNORECASE)
# Lines that close a report without being part of it: contributor and contact lines, copyright.
_TRAILER = re.compile(
    r"^\W*(?:\(?reporting by|\(?additional reporting|\(?writing by|\(?editing by|compiled by|"
    r"(?:e-?mail|contact|reach) (?:the )?(?:\w+ ){0,3}(?:at|on)\b|follow (?:\w+ ){0,3}on (?:twitter|x|facebook)|"
    r"have a (?:news )?tip|sign up|subscribe|get the latest|click here|"
    r"copyright|all rights reserved|©|ⓒ|Ⓒ|\(c\) |저작권자|무단\s?전재|版权所有|著作権)",
    re.IGNORECASE,
)
# Only a web address ("www.entermedia.co.kr", "STERN.de"): its top-level domain in lower case, so that "U.S.",
# "A.Smith" and "3.5" are not.
_WEB_ADDRESS = re.compile(r"^\W*(?:https?://)?(?:[\w-]+\.)+[a-z]{2,}/?\W*$")


# Promotion of the outlet itself: newsletters, subscriptions, apps, memberships, "click here".
# (Matched against the lower-cased text: a case-blind scan for forty words is several times slower.)
_PROMO = re.compile(
    r"\b(?:" + one_of((
        "newsletters?", "sign(?:ing)? up", "subscribe", "subscription", "inbox", "click here", "tap here",
        "download (?:the|our) app", "support (?:us|our journalism)", "become a (?:member|subscriber)", "donate",
        "abonnieren", "abonnement", "jetzt unterstützen", "jetzt spenden", "inscrivez-vous", "abonnez-vous",
        "suscríbete", "assine", "inscreva-se", "iscriviti", "abonner", "prenumerera", "подпишитесь",
        "подписаться", r"рассылк\w*",
    )) + r")\b|" + one_of(("구독", "뉴스레터", "회원 ?가입", "購読", "会員", "有料記事", "メルマガ", "订阅", "会员"))
)
# A caption's or photo's credit: "Foto: NTB", "Image: X/Y", "(Photo: AFP)", "사진=연합뉴스".
_PHOTO_CREDIT = re.compile(
    r"(?:\b(?:photo|foto|fotos|image|images|bild|picture|credit|quelle|kilde|source|fuente|фото|사진|写真|图片|图)"
    r"\s*[:：=/]\s*\S[^.!?]{0,60}|©\s*\S[^.!?]{0,60}|\b(?:getty images|shutterstock|imago|afp|epa|ap photo))"
    r"\s*\)?\s*$",
    re.IGNORECASE,
)


# "Home > National > North Korea", "News / World / Asia": a breadcrumb trail, three or more runs of 1 to 60
# characters between these separators, without sentence punctuation (is_breadcrumb; the lookahead finds
# separators that overlap, as in "a > > b").
_CRUMB_SEPARATOR = re.compile(r"(?=\s[>›»/|]\s)")
_CRUMB_RUN = 60
# A comment box's character counter: "(0/250자)", "0/1000 characters".
_COUNTER = re.compile(r"\(?\b0\s*/\s*\d{2,5}\s*(?:자|字|characters?|chars?|символ\w*)?\)?")
# Photo captions: "..., in this photo released by KCNA", "[KOREAN CENTRAL NEWS AGENCY]", "(Yonhap)" after a
# picture description, "사진=연합뉴스".
_CAPTION = re.compile(
    r"\bin this (?:undated |file |handout )*(?:photo|picture|image|screen ?grab)\b|"
    r"\b(?:photo|picture|image)s? (?:released|provided|taken|courtesy|distributed) by\b|"
    r"\[[A-Z][A-Z .,&'-]{2,60}\]\s*$|\b(?:사진|자료사진)\s*[=:]\s*\S+\s*$|（写真[^）]*）\s*$",
)


# Strings every _CAPTION match contains: most lines contain none, and the regex is slow to say so.
_CAPTION_MARKERS = ("in this ", " by", "]", "사진", "（写真")
# Every _PHOTO_CREDIT match has a separator after the word, a ©, or one of the agency names.
_CREDIT_MARKS = (":", "：", "=", "/", "©")
_CREDIT_NAMES = ("getty images", "shutterstock", "imago", "afp", "epa", "ap photo")


def _might_credit(line: str) -> bool:
    if any(mark in line for mark in _CREDIT_MARKS):
        return True
    lowered = line.lower()
    return any(name in lowered for name in _CREDIT_NAMES)


MAX_TITLE = 1000  # characters; no headline is longer, a page's <title> of keywords can be
MAX_SUBTITLE = 2000


def bounded(line: str, limit: int) -> str:
    """A title or subtitle no longer than `limit` characters: a longer one (a page whose <title> is 50 KB of
    keywords) cut at a space, marked with an ellipsis."""
    if len(line) <= limit:
        return line
    cut = line[:limit - 1]
    return (cut.rsplit(" ", 1)[0] if " " in cut[limit // 2:] else cut).rstrip() + "…"


def normalise_line(line: str) -> str:
    # The publisher's own Unicode form is kept (decomposed accents included): the body is the text as
    # printed, and dedup normalises harder on its own.
    return _SPACES.sub(" ", line).strip()


def words(text: str) -> int:
    """A word count that also works for CJK text (about two characters to a word)."""
    rest, cjk = _CJK.subn(" ", text)
    return len(_WORD.findall(rest)) + (cjk + 1) // 2


def is_web_address(line: str) -> bool:
    """A line (or a name) that is only a web address, as sites print their own under the text."""
    return _WEB_ADDRESS.match(line) is not None


def is_language_menu(line: str) -> bool:
    """A line that is a run of language names ("한어Русский языкEnglishFrançais..."), not a sentence."""
    if _SENTENCE_END.search(line) or len(line) > 400:
        return False
    found = _LANGUAGE_MENU.findall(line)
    if len(found) < 3:
        return False
    rest = _LANGUAGE_MENU.sub(" ", line)
    return len(_WORD.findall(rest)) <= max(1, len(found) // 3)


def is_stamp(line: str, count: int | None = None) -> bool:
    """A line that is only a date or time, with the words stamps use ("2025年1月14日 01時28分 (01時40分更新)",
    "Updated: Monday, Nov. 18, 2019 1:23 p.m.", "Stand: 22.04.2024, 06:00 Uhr"). `count`: its words(), if known."""
    if not _DIGIT.search(line) or (words(line) if count is None else count) > 16:
        return False
    rest = _STAMP_WORDS.sub(" ", line)
    return len("".join(_WORD.findall(rest.replace("_", " ")))) <= 2


def is_breadcrumb(line: str) -> bool:
    """A breadcrumb trail ("Home > National > North Korea"): the whole line is runs of 1 to 60 characters with
    no ".", "!" or "?", and two or more separators between them (a line ending in a line break may leave it out).

    Which separators a trail uses is worked out run by run, in time linear in the line: a regex that tried
    each way of cutting the line backtracked exponentially on a long row of cells joined by " | " that was
    no trail (25 cells: three seconds, 30: a minute and a half).
    """
    if not line or "." in line or "!" in line or "?" in line:
        return False
    separators = [found.start() for found in _CRUMB_SEPARATOR.finditer(line)]
    if len(separators) < 2:
        return False
    ends = (len(line), len(line) - 1) if line.endswith("\n") else (len(line),)
    reached = {0: 0}  # where a run can start → separators before it (2 is enough)
    for start in (0, *(separator + 3 for separator in separators)):  # (in order)
        if (count := reached.get(start)) is None:
            continue
        if count >= 2 and any(1 <= end - start <= _CRUMB_RUN for end in ends):
            return True
        for separator in separators[bisect_left(separators, start + 1):bisect_right(separators, start + _CRUMB_RUN)]:
            following = separator + 3
            reached[following] = max(reached.get(following, 0), min(count + 1, 2))
    return False


def is_ui_line(line: str) -> bool:
    """A short line of interface words: "print dictionary print", "Log in", "Share this article"."""
    if is_breadcrumb(line) or (words(line) <= 8 and _COUNTER.search(line)):
        return True
    count = words(line)
    return count <= 8 and (count <= 4 or not _SENTENCE_END.search(line)) and bool(_UI.search(line))


def is_caption(line: str) -> bool:
    """A photo caption printed as a paragraph (captions describe a picture and credit its source)."""
    return (any(marker in line for marker in _CAPTION_MARKERS) and words(line) <= 70
            and bool(_CAPTION.search(line)))


def _key(text: str) -> str:
    # The words joined by single spaces (one substitution is faster than finding and joining them).
    return _NON_WORDS.sub(" ", unicodedata.normalize("NFKC", text).casefold()).strip(" ")


def same_text(a: str, b: str) -> bool:
    """The same words, whatever the punctuation, case, spacing or width of the characters."""
    key = _key(a)
    return bool(key) and key == _key(b)


Rule = Callable[[list[Block], str], list[Block]]

# Words of text before a recommendations heading for it to end the article (a short brief has about this many).
_ARTICLE_BEFORE_CUT = 40


def drop_link_lists(blocks: list[Block], title: str) -> list[Block]:
    """Lists (and tables) that are mostly links are navigation or "related" boxes, and so is their heading."""
    groups: dict[int, list[Block]] = {}
    for block in blocks:
        if block.group:
            groups.setdefault(block.group, []).append(block)
    linky = {group for group, members in groups.items()
             if sum(len(b.text) * b.links for b in members) >= 0.5 * sum(len(b.text) for b in members)}
    kept: list[Block] = []
    for index, block in enumerate(blocks):
        if block.group in linky:
            continue
        following = blocks[index + 1] if index + 1 < len(blocks) else None
        if (following is not None and following.group in linky and block.group != following.group
                and (block.kind == HEADING or (words(block.text) <= 6 and not _SENTENCE_END.search(block.text)))):
            continue
        kept.append(block)
    return kept


def drop_link_lines(blocks: list[Block], title: str) -> list[Block]:
    """A short prose line that is all link is a teaser for another article."""
    return [b for b in blocks if not (b.kind in (PARAGRAPH, HEADING) and b.links >= 0.8 and words(b.text) <= 25)]


def cut_recommendations(blocks: list[Block], title: str) -> list[Block]:
    """The outlet's recommendations ("You may also like", then teasers of other articles) and all after them,
    once the text before them holds an article's worth of words; before that, only the heading goes."""
    kept: list[Block] = []
    counted = kept_words = 0  # the words of kept[:counted], counted once however many headings follow
    for block in blocks:
        if _RECOMMENDS.match(block.text):  # (anchored: fails within a few characters on prose)
            kept_words += sum(words(b.text) for b in kept[counted:])
            counted = len(kept)
            if kept_words >= _ARTICLE_BEFORE_CUT:
                return kept
            continue
        kept.append(block)
    return kept


def drop_related(blocks: list[Block], title: str) -> list[Block]:
    """"Related: …", "Read more: …", "관련기사", "関連記事" lines, and a heading that introduces such a box."""
    return [b for b in blocks if not (_RELATED.match(b.text) and words(b.text) <= 40)]


def drop_title_echo(blocks: list[Block], title: str) -> list[Block]:
    """The headline printed again at the top of the text (with the outlet's name or a kicker around it)."""
    key = _key(title)
    if not key:
        return blocks
    kept = list(blocks)
    for index, block in enumerate(blocks[:4]):
        text_key = _key(block.text)
        if text_key and (text_key == key or (key in text_key and len(text_key) <= len(key) + 40)
                         or (text_key in key and len(text_key) >= 0.6 * len(key))):
            kept[index] = block.with_text("")
    return [b for b in kept if b.text]


def drop_language_menus(blocks: list[Block], title: str) -> list[Block]:
    """Language-selector menus glued into one line of text."""
    return [b for b in blocks if not is_language_menu(b.text)]


def _edge_chrome(block: Block) -> bool:
    text = block.text
    if is_ui_line(text) or is_language_menu(text):
        return True
    # At the edges, a sentence of interface words is a prompt: "To write comments, please log in."
    if words(text) <= 15 and _UI.search(text) and (_PROMPT.search(text) or
                                                   (words(text) <= 12 and not _SENTENCE_END.search(text))):
        return True
    short = words(text) <= 12 and not _SENTENCE_END.search(text)
    if short and (_STAMP.match(text) or _BYLINE.match(text)):
        return True
    # A bare date and time ("2025年1月14日 01時28分", "18.05.2026", "Monday, Nov. 18, 2019").
    return is_stamp(text)


def _fragment(block: Block, limit: int) -> bool:
    return words(block.text) <= limit and not _SENTENCE_END.search(block.text)


def trim_edges(blocks: list[Block], title: str) -> list[Block]:
    """Interface lines, stamps and bylines at the top and bottom of the text.

    At the top, a line of one to three words before the text begins is a section label or kicker. At the
    bottom, once chrome has been found, short fragments next to it are pieces of the same box ("lock icon",
    "with the Korea JoongAng Daily"). A closing credit ("Yonhap") is left for the wire reader.
    """
    start, end = 0, len(blocks)
    while start < end and (_edge_chrome(blocks[start]) or _fragment(blocks[start], 3)):
        start += 1
    in_box = False  # inside an interface box (log-in prompt, comment form) found at the bottom
    while end > start:
        block = blocks[end - 1]
        if is_wire_line(block.text):
            break
        if (_edge_chrome(block) or _TRAILER.match(block.text) or is_web_address(block.text)
                or (in_box and _fragment(block, 6))):
            end -= 1
            in_box = in_box or bool(_BOX.search(block.text))
        else:
            break
    return blocks[start:end]


def drop_captions(blocks: list[Block], title: str) -> list[Block]:
    """Photo captions printed as paragraphs (also where the layout repeats them)."""
    return [b for b in blocks if not is_caption(b.text)]


def drop_notices(blocks: list[Block], title: str) -> list[Block]:
    """The page's notices about itself (_NOTICE) in a short block: reading time, paywall, rating, skip link, ad slot."""
    return [b for b in blocks if not (words(b.text) <= 25 and _NOTICE.search(b.text))]


def drop_promos(blocks: list[Block], title: str) -> list[Block]:
    """The outlet advertising itself (newsletters, subscriptions, memberships) in a short block."""
    return [b for b in blocks if not (_PROMO.search(b.text.lower()) and words(b.text) <= 45)]


def drop_bylines(blocks: list[Block], title: str) -> list[Block]:
    """Bylines, photo credits and bare dates anywhere in the text ("Von Nina Magoley", "Foto: NTB")."""
    kept = []
    for block in blocks:
        text = block.text
        # Each test starts with a cheap necessary condition (most blocks are prose and fail them all), and
        # the words are counted once, when a test first needs them.
        count = -1
        if _BYLINE.match(text) and not _SENTENCE_END.search(text):
            count = words(text)
            if count <= 6:
                continue
        if _might_credit(text):
            count = words(text) if count < 0 else count
            if count <= 40 and _PHOTO_CREDIT.search(text):
                continue
        if _DIGIT.search(text):  # stamps and dates have digits
            count = words(text) if count < 0 else count
            if is_stamp(text, count) or (count <= 10 and _DATEISH.search(text)
                                         and len(_WORD.findall(_DATEISH.sub("", text))) <= 2):
                continue
        kept.append(block)
    return kept


def drop_repeats(blocks: list[Block], title: str) -> list[Block]:
    """Captions and pull quotes printed twice, and the UI lines of a layout repeated around the text."""
    seen: set[str] = set()
    kept: list[Block] = []
    for block in blocks:
        key = _key(block.text) or block.text
        if key in seen:
            continue
        seen.add(key)
        kept.append(block)
    return kept


RULES: tuple[Rule, ...] = (
    drop_link_lists,
    drop_link_lines,
    cut_recommendations,
    drop_related,
    drop_language_menus,
    drop_title_echo,
    drop_promos,
    drop_notices,
    drop_captions,
    drop_bylines,
    trim_edges,
    drop_repeats,
)


def clean_blocks(blocks: Sequence[Block], title: str = "", rules: Sequence[Rule] = RULES) -> list[Block]:
    """Apply the chrome rules in order to normalised, non-empty blocks."""
    return clean(blocks, title, rules)[0]


def clean(blocks: Sequence[Block], title: str = "", rules: Sequence[Rule] = RULES
          ) -> tuple[list[Block], tuple[Residue, ...]]:
    """The kept blocks, and the language menus and interface lines removed (with the index of the kept
    paragraph they stood before): evidence for the translation analysis, which looks for such residue."""
    normalised = [b.with_text(normalise_line(b.text)) for b in blocks]
    normalised = [b for b in normalised if b.text]
    current = normalised
    for rule in rules:
        current = rule(current, title)
    kept_ids = {id(b) for b in current}
    residue: list[Residue] = []
    position = 0
    for block in normalised:
        if id(block) in kept_ids:
            position += 1
        elif is_language_menu(block.text):
            residue.append(Residue("language_menu", block.text, position))
        elif is_ui_line(block.text):
            residue.append(Residue("interface", block.text, position))
    return current, tuple(residue)


def paragraphs(text: str, title: str = "") -> list[str]:
    """Split plain text into clean paragraphs (one per line), chrome removed."""
    return [b.text for b in clean_blocks([Block(line) for line in text.splitlines()], title)]
