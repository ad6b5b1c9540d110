"""Extraction units: chrome rules, datelines and credits, authors and titles, fallbacks, outlet selectors."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

import pytest
from lxml import etree
from selectolax.lexbor import LexborHTMLParser
from trafilatura.utils import load_html

from scraper.config import parse_settings
from scraper.errors import ConfigError, Skip
from scraper.extract import extract_article
from scraper.extract.blocks import HEADING, ITEM, Block
from scraper.extract.body import _parsed, encoded, main_text, without_scripts
from scraper.extract.clean import clean_blocks, is_caption, is_language_menu, is_ui_line
from scraper.extract.meta import choose_title, clean_authors, read_meta, strip_site_name
from scraper.extract.notfound import not_found_page
from scraper.extract.wire import split_wire_lines
from scraper.extract.wordlists import one_of
from scraper.records import Dateline, Fetched, Selectors, Source

PARAGRAPHS = [
    "The ministry said on Tuesday that the two countries would expand trade across their shared border.",
    "Officials from both sides met in the capital for two days of talks, the first such meeting in years.",
    "The agreement covers agriculture, health and the reopening of a rail freight service next spring.",
]


def _page(body: str, head: str = "<title>Talks on trade</title>") -> str:
    return f"<!DOCTYPE html><html><head><meta charset='utf-8'>{head}</head><body>{body}</body></html>"


def _article(html: str, url: str = "https://news.example.org/2026/01/06/trade-talks",
             source: Source | None = None) -> list[str]:
    fetched = Fetched(url=url, final_url=url, status=200, content_type="text/html", text=html, encoding="utf-8",
                      fetched_at=datetime(2026, 11, 1, tzinfo=UTC))
    source = source or Source(id="t", name="T", languages=("en",), homepage="https://news.example.org/",
                              timezone="UTC")
    return list(extract_article(fetched, source).paragraphs)


# --- chrome rules ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("line", [
    "한어Русский языкEnglishFrançaisIndonesianSanskrit日本語DeutschPortuguêsΕλληνικάespañolItalianoSuomalainenLatina",
    "English | 中文 | Русский | 日本語 | 한국어",
    "조선어 English 中文 Русский Español 日本語",
])
def test_language_menus_are_recognised(line: str) -> None:
    assert is_language_menu(line)


@pytest.mark.parametrize("line", [
    "English is spoken by many officials in Pyongyang, the report said.",
    "The Russian and Chinese delegations arrived on Monday.",
])
def test_sentences_naming_languages_are_not_menus(line: str) -> None:
    assert not is_language_menu(line)


@pytest.mark.parametrize("line", ["print dictionary print", "Log in", "Share this article", "공유 인쇄 글자크기",
                                  "Home > National > North Korea", "Standards Board Policy (0/250자)", "コメント",
                                  "Поделиться"])
def test_interface_lines_are_recognised(line: str) -> None:
    assert is_ui_line(line)


def test_captions_are_recognised() -> None:
    assert is_caption("Choe Son-hui departs Pyongyang on Oct. 26, in this photo released by the Korean Central "
                      "News Agency the following day [KOREAN CENTRAL NEWS AGENCY]")
    assert not is_caption(PARAGRAPHS[0])


def test_link_lists_related_lines_and_promos_are_dropped() -> None:
    blocks = [
        Block("Trade talks open in the capital", HEADING),
        Block(PARAGRAPHS[0]),
        Block("Related Articles", HEADING),
        Block("N. Korea slams joint drills", ITEM, links=1.0, group=1),
        Block("Choe leaves for Moscow", ITEM, links=1.0, group=1),
        Block(PARAGRAPHS[1]),
        Block("Read more: Lavrov to visit Pyongyang in spring"),
        Block("관련기사 북한, 미사일 발사"),
        Block("Sign up for our free weekly newsletter to get the news in your inbox."),
        Block(PARAGRAPHS[2]),
        Block("Copyright © 2026 Example News. All rights reserved."),
    ]
    kept = [b.text for b in clean_blocks(blocks, title="Trade talks open in the capital")]
    assert kept == PARAGRAPHS


@pytest.mark.parametrize("heading", [
    "You may also like", "Você pode gostar...", "También te puede gustar", "Vous aimerez aussi :",
    "Das könnte Sie auch interessieren", "Вам может понравиться", "당신이 좋아할 만한 콘텐츠", "猜你喜欢",
])
def test_recommendations_after_the_article_are_cut_with_their_teasers(heading: str) -> None:
    # Teasers of other articles are prose, not links: only the heading tells them from the article.
    teasers = ["Optimism and courage are what life asks of us, and hope for the best makes the best happen.",
               "What unites a family is love, care and the wish for each other's good, in bad times too."]
    blocks = [Block(p) for p in PARAGRAPHS] + [Block(heading, HEADING)] + [Block(t) for t in teasers]
    assert [b.text for b in clean_blocks(blocks)] == PARAGRAPHS


def test_a_recommendations_heading_cuts_nothing_before_the_article_or_inside_a_sentence() -> None:
    # At the top (the extractor's region starts in the box, or the article is a single short paragraph
    # below it), only the heading goes.
    for heading in ("You may also like", "Você pode gostar..."):
        top = [Block(heading, HEADING), *(Block(p) for p in PARAGRAPHS)]
        assert [b.text for b in clean_blocks(top)] == PARAGRAPHS
    # A line that goes on after the words ("Related:"-style, dropped alone) and "Related articles", which
    # heads boxes inside articles too, cut nothing after them.
    inside = [Block(PARAGRAPHS[0]), Block("You may also like: rail service to reopen in spring"),
              Block(PARAGRAPHS[1]), Block("Related articles", HEADING), Block(PARAGRAPHS[2])]
    assert [b.text for b in clean_blocks(inside)] == PARAGRAPHS


def test_notices_the_page_prints_about_itself_go_wherever_they_stand() -> None:
    notices = ["Tempo de leitura: 1 minuto",
               "Il vous reste 57% de cet article à lire. La suite est réservée aux abonnés.",
               "Wie hat Ihnen dieser Artikel gefallen?", "Hauptinhalt", "$$ARTICLEAD$$",
               "Advertisement Story continues below", "Ein Klick für den Datenschutz", "Externer Inhalt"]
    blocks = [Block(notices[0]), Block(PARAGRAPHS[0]), *(Block(n) for n in notices[1:]),
              *(Block(p) for p in PARAGRAPHS[1:])]
    assert [b.text for b in clean_blocks(blocks)] == PARAGRAPHS
    # "Most read" heads boxes in the middle of articles too: the line goes, the text after it stays.
    middle = [Block(PARAGRAPHS[0]), Block(PARAGRAPHS[1]), Block("Most read in world news", HEADING),
              Block(PARAGRAPHS[2])]
    assert [b.text for b in clean_blocks(middle)] == PARAGRAPHS


def test_lists_of_prose_are_kept() -> None:
    items = [Block(f"{text[:-1]}, one official said.", ITEM, links=0.0, group=1) for text in PARAGRAPHS]
    assert len(clean_blocks([Block(PARAGRAPHS[0]), *items])) == 4


def test_short_fragments_next_to_a_comment_box_go_but_the_credit_stays() -> None:
    blocks = [Block(p) for p in PARAGRAPHS] + [Block(line) for line in (
        "Yonhap", "Log in to Twitter or Facebook account to connect", "with the Korea JoongAng Daily",
        "help-image Social comment?", "s", "lock icon", "To write comments, please log in to one of the accounts.",
        "Standards Board Policy (0/250자)")]
    assert [b.text for b in clean_blocks(blocks)] == [*PARAGRAPHS, "Yonhap"]


def test_korean_copyright_lines_and_the_site_s_address_under_the_text_go() -> None:
    text = ["북한 외무상이 벨라루스 외무장관과 회담하고 협력을 강화하기로 했다고 통신이 전했다.",
            "양측은 내년 봄 평양에서 다시 만나기로 합의했다."]
    blocks = [Block(p) for p in text] + [Block(line) for line in (
        "reporter@example.co.kr", "저작권자 ⓒ 예시뉴스 무단전재 및 재배포 금지", "www.example.co.kr")]
    kept = [b.text for b in clean_blocks(blocks)]
    assert split_wire_lines(kept).paragraphs == tuple(text)
    # Only a web address: a closing "U.S." is not one.
    assert [b.text for b in clean_blocks([Block(p) for p in (*text, "U.S.")])] == [*text, "U.S."]


# --- datelines and credits ---------------------------------------------------------------------------------
@pytest.mark.parametrize(("lead", "place", "date_text", "credit", "rest"), [
    ("PYONGYANG, July 23 (KCNA) -- Kim Jong Un inspected a farm.", "PYONGYANG", "July 23", "KCNA",
     "Kim Jong Un inspected a farm."),
    ("SEOUL, Nov. 22 (Yonhap) -- North Korea fired a missile.", "SEOUL", "Nov. 22", "Yonhap",
     "North Korea fired a missile."),
    ("MOSCOW, July 23. /TASS/. Russia and the DPRK signed a plan.", "MOSCOW", "July 23", "TASS",
     "Russia and the DPRK signed a plan."),
    ("МОСКВА, 23 июля. /ТАСС/. Россия заявила.", "МОСКВА", "23 июля", "TASS", "Россия заявила."),
    ("MINSK, 2 October (BelTA) – Lukashenko met a delegation.", "MINSK", "2 October", "BelTA",
     "Lukashenko met a delegation."),
    ("(서울=연합뉴스) 김철수 기자 = 북한이 23일 발표했다.", "서울", None, "Yonhap", "북한이 23일 발표했다."),
    ("新华社北京7月23日电（记者 张三）中国外交部发言人表示。", "北京", "7月23日", "Xinhua", "中国外交部发言人表示。"),
    ("WASHINGTON (AP) — The Senate voted on Tuesday.", "WASHINGTON", None, "AP", "The Senate voted on Tuesday."),
    ("ST. JOSEPH, Mich. (AP) — Health officials reported a death.", "ST. JOSEPH, Mich.", None, "AP",
     "Health officials reported a death."),
    ("FORT WORTH, Texas (AP) — The heat broke records.", "FORT WORTH, Texas", None, "AP", "The heat broke records."),
    ("KYIV, Ukraine, July 5 (Reuters) - Drones hit the city.", "KYIV, Ukraine", "July 5", "Reuters",
     "Drones hit the city."),
    ("Berlin (dpa) - Die Bundesregierung will die Steuern senken.", "Berlin", None, "dpa",
     "Die Bundesregierung will die Steuern senken."),
    ("Frankfurt/Main (AFP) - Die Börse schloss im Plus.", "Frankfurt/Main", None, "AFP", "Die Börse schloss im Plus."),
])
def test_datelines_become_fields_and_leave_the_text(lead: str, place: str, date_text: str | None, credit: str,
                                                      rest: str) -> None:
    wire = split_wire_lines([lead, "Second paragraph."])
    assert wire.dateline == Dateline(place, date_text)
    assert wire.credit == credit
    assert wire.paragraphs == (rest, "Second paragraph.")


def test_closing_credit_end_mark_and_sign_off_are_taken_off() -> None:
    assert split_wire_lines(["Text of the report.", "Yonhap"]).credit == "Yonhap"
    wire = split_wire_lines(["(서울=연합뉴스) 북한이 발표했다.", "김철수 기자 kcs@yna.co.kr", "(끝)"])
    assert wire.paragraphs == ("북한이 발표했다.",)
    assert wire.authors == ("김철수",)
    assert split_wire_lines(["Pyongyang, January 6 (KCNA) -- Text.", "-0-"]).paragraphs == ("Text.",)


@pytest.mark.parametrize(("paragraphs", "notes", "kept"), [
    (["(ATTN: UPDATES with quotes at bottom)", "SEOUL, June 1 (Yonhap) -- Sistar topped the charts.", "More."],
     ("(ATTN: UPDATES with quotes at bottom)",), ("Sistar topped the charts.", "More.")),
    (["(ATTN: ADDS photo (2nd item); CHANGES headline) SEOUL, Aug. 20 (Yonhap) -- The North said.", "More."],
     ("(ATTN: ADDS photo (2nd item); CHANGES headline)",), ("The North said.", "More.")),
    (["(EDS: RECASTS lead)", "(EDITOR'S NOTE: corrects a name in para 3)", "WASHINGTON (AP) — Text.", "More."],
     ("(EDS: RECASTS lead)", "(EDITOR'S NOTE: corrects a name in para 3)"), ("Text.", "More.")),
    # Not notes: a headline tag, parentheses in running text, a note past the top of the report.
    (["(LEAD) The North fired.", "More."], (), ("(LEAD) The North fired.", "More.")),
    (["The talks (ATTN: not a note) went on.", "More."], (), ("The talks (ATTN: not a note) went on.", "More.")),
    (["One.", "Two.", "Three.", "(ATTN: late)", "Five."], (), ("One.", "Two.", "Three.", "(ATTN: late)", "Five.")),
])
def test_notes_to_editors_leave_the_text_and_are_kept(paragraphs: list[str], notes: tuple[str, ...],
                                                      kept: tuple[str, ...]) -> None:
    wire = split_wire_lines(paragraphs)
    assert wire.notes == notes and wire.paragraphs == kept


def test_text_that_only_mentions_an_agency_keeps_its_lead() -> None:
    for text in ("North Korea (KCNA) -- said nothing.", "The (Reuters) report says -- nothing.",
                 "Officials, speaking (AP) -- said nothing.", "Seoul, said officials (Yonhap) -- nothing.",
                 "Kim Jong Un (KCNA) -- inspected a farm.", "According to officials (AP) — Text."):
        wire = split_wire_lines([text])
        assert wire.paragraphs == (text,) and wire.dateline is None and wire.credit is None


# --- titles and authors ------------------------------------------------------------------------------------
@pytest.mark.parametrize(("raw", "expected"), [
    (["By Jane Doe and John Roe"], ("Jane Doe", "John Roe")),
    (["김철수 기자"], ("김철수",)),
    (["김철수·이영희 기자"], ("김철수", "이영희")),
    (["Jane Doe (jane.doe@example.org)"], ("Jane Doe",)),
    (["Lee Hae-rin, Staff Reporter"], ("Lee Hae-rin",)),
    (["Reporter Lee Hae-rin"], ("Lee Hae-rin",)),
    (["Von Nina Magoley"], ("Nina Magoley",)),
    (["记者 张三"], ("张三",)),
    (["https://example.org/authors/jane"], ()),
    (["Juan Pérez y María López"], ("Juan Pérez", "María López")),
    (["Иван Петров и Анна Смирнова"], ("Иван Петров", "Анна Смирнова")),
    # Initials and Irish names are not conjunctions.
    (["Bruce Y. Lee"], ("Bruce Y. Lee",)),
    (["By Conan O'Brien and Peter O. Smith"], ("Conan O'Brien", "Peter O. Smith")),
    (["И. Петров"], ("И. Петров",)),
    # The outlet's web address is no author; a profile slug is read as the name it stands for.
    (["Deutsche Welle (www.dw.com)", "STERN.de", "mdr.de"], ("Deutsche Welle",)),
    (["chuck-ross", "A.Smith", "www.example.com/authors/jane"], ("Chuck Ross", "A.Smith")),
    (["Troy L. Smith, Cleveland.com"], ("Troy L. Smith",)),
])
def test_authors_are_clean_names(raw: list[str], expected: tuple[str, ...]) -> None:
    assert clean_authors(raw) == expected


def test_titles_lose_the_site_name() -> None:
    assert strip_site_name("N. Korea fires missile | Yonhap News Agency", "Yonhap News Agency") == (
        "N. Korea fires missile")
    assert strip_site_name("Russia, DPRK sign plan of consultations - TASS") == (
        "Russia, DPRK sign plan of consultations")
    # Korean sites separate with the jamo "ㅣ", and may glue the section's name to the headline.
    assert strip_site_name("여야, 추경 합의했지만 부담 커졌다-정치ㅣ한국일보", "한국일보") == (
        "여야, 추경 합의했지만 부담 커졌다")
    assert strip_site_name("김정은-푸틴 회담 | 연합뉴스", "연합뉴스") == "김정은-푸틴 회담"
    assert strip_site_name("김정은-푸틴ㅣ연합뉴스", "연합뉴스") == "김정은-푸틴"
    tree_html = _page("<h1>Talks on trade open</h1>", "<title>Talks on trade open | Example News</title>")
    assert choose_title(read_meta(LexborHTMLParser(tree_html))) == "Talks on trade open"


def test_the_subtitle_is_the_standfirst_under_the_headline_not_a_widget_s() -> None:
    dek = "The two sides agreed to reopen the rail link and to meet again in the spring, officials said."
    chrome = ("<div class='app-promo-banner__subtitle'>Get it on Google Play</div>"
              "<div class='subhead'>Subscribe Sign In</div>")
    widgets = ("<aside><h4 class='widget__title with-subtitle'>Most Popular Today</h4>"
               "<h4 class='c-heading--subhead'>your local region</h4><h2 class='article__sub-title'>« Total »</h2>"
               "<div class='summary-item__dek'>Deals on everything from power tools to lawn gear this week.</div>"
               "</aside>")
    page = _page(f"{chrome}<h1>Talks on trade open</h1>{widgets}<p class='article-standfirst'>{dek}</p>"
                 + "".join(f"<p>{p}</p>" for p in PARAGRAPHS))
    assert read_meta(LexborHTMLParser(page)).subtitle == dek
    without = _page(f"{chrome}<h1>Talks on trade open</h1>{widgets}" + "".join(f"<p>{p}</p>" for p in PARAGRAPHS))
    assert read_meta(LexborHTMLParser(without)).subtitle is None
    # Scripts without capitals are never "shouting".
    korean = "북한 외무상이 벨라루스 외무장관과 회담하고 협력을 강화하기로 했다"
    page = _page(f"<h1>북한·벨라루스 외무장관 회담</h1><p class='article-subtitle'>{korean}</p><p>{PARAGRAPHS[0]}</p>")
    assert read_meta(LexborHTMLParser(page)).subtitle == korean


# --- whole pages -------------------------------------------------------------------------------------------
def test_generic_page_with_chrome_around_the_article() -> None:
    body = ("<nav><a href='/'>Home</a> <a href='/world'>World</a></nav><h1>Talks on trade</h1>"
            "<div class='byline'>By Jane Doe</div><article>" + "".join(f"<p>{p}</p>" for p in PARAGRAPHS)
            + "</article><aside><h3>Related</h3><ul><li><a href='/a'>Other story</a></li></ul></aside>"
            "<footer>© 2026 Example News</footer>")
    assert _article(_page(body)) == PARAGRAPHS


def test_the_outlet_s_own_name_given_as_author_is_no_author() -> None:
    head = ('<title>Talks on trade</title><meta property="og:site_name" content="Lesotho Times">'
            '<script type="application/ld+json">{"@type": "NewsArticle", "author": [{"@type": "Organization", '
            '"name": "Lesotho-Times"}, {"@type": "Person", "name": "Jane Doe"}]}</script>')
    body = "<h1>Talks on trade</h1><article>" + "".join(f"<p>{p}</p>" for p in PARAGRAPHS) + "</article>"
    url = "https://news.example.org/2026/01/06/trade-talks"
    fetched = Fetched(url=url, final_url=url, status=200, content_type="text/html", text=_page(body, head),
                      encoding="utf-8", fetched_at=datetime(2026, 11, 1, tzinfo=UTC))
    source = Source(id="t", name="T", languages=("en",), homepage="https://news.example.org/", timezone="UTC")
    assert extract_article(fetched, source).authors == ("Jane Doe",)


@pytest.mark.parametrize("href", ["http://[::1", "https://news.example.org:99999/a/1", "http://[bad]/x"])
def test_a_canonical_link_that_is_no_url_leaves_the_page_its_own(href: str) -> None:
    body = "<h1>Talks on trade</h1><article>" + "".join(f"<p>{p}</p>" for p in PARAGRAPHS) + "</article>"
    url = "https://news.example.org/2026/01/06/trade-talks"
    fetched = Fetched(url=url, final_url=url, status=200, content_type="text/html",
                      text=_page(body, f'<title>Talks on trade</title><link rel="canonical" href="{href}">'),
                      encoding="utf-8", fetched_at=datetime(2026, 11, 1, tzinfo=UTC))
    source = Source(id="t", name="T", languages=("en",), homepage="https://news.example.org/", timezone="UTC")
    article = extract_article(fetched, source)
    assert article.canonical_url == url and article.paragraphs == tuple(PARAGRAPHS)


def test_a_page_that_declares_no_usable_date_takes_the_one_in_its_url() -> None:
    # A placeholder date in the JSON-LD (rejected), and an older date printed on the page (another story's,
    # a photo's), which a page without a date in its address is guessed from.
    head = ('<title>Viera defeats Rockledge</title><script type="application/ld+json">'
            '{"@type": "NewsArticle", "datePublished": "0001-01-01T00:00:00Z"}</script>')
    body = ("<h1>Viera defeats Rockledge</h1><article><div class='byline'><span class='date'>April 5, 2016</span></div>"
            + "".join(f"<p>{p}</p>" for p in PARAGRAPHS) + "</article>")
    source = Source(id="t", name="T", languages=("en",), homepage="https://news.example.org/", timezone="UTC")
    for url, day in (("https://news.example.org/story/sports/2019/11/20/viera-defeats-rockledge/", 20),
                     ("https://news.example.org/story/sports/viera-defeats-rockledge/", 5)):
        fetched = Fetched(url=url, final_url=url, status=200, content_type="text/html", text=_page(body, head),
                          encoding="utf-8", fetched_at=datetime(2026, 11, 1, tzinfo=UTC))
        published = extract_article(fetched, source).published_at
        assert published is not None and published.day == day, (url, published)


def test_a_page_without_article_text_is_skipped() -> None:
    with pytest.raises(Skip) as skipped:
        _article(_page("<nav><a href='/'>Home</a></nav>"))
    assert skipped.value.reason == "empty"


def test_text_carried_in_a_script_is_the_last_resort() -> None:
    html_string = "".join(f"<p>{p}</p>" for p in PARAGRAPHS)
    state = json.dumps({"article": {"id": 1, "contentHtml": html_string + " " * 400}})
    page = _page(f"<div id='root'></div><script>window.__STATE__ = {state};</script>")
    assert _article(page) == PARAGRAPHS


def test_json_ld_article_body_is_used_when_the_page_shows_no_text() -> None:
    data = json.dumps({"@type": "NewsArticle", "headline": "Talks on trade", "articleBody": "\n".join(PARAGRAPHS)})
    page = _page("<div id='app'></div>", f"<script type='application/ld+json'>{data}</script>")
    assert " ".join(b.text for b in main_text(page).blocks) == " ".join(PARAGRAPHS)


def test_scripts_and_styles_go_before_parsing_but_json_ld_and_commented_markup_stay() -> None:
    data = json.dumps({"@type": "NewsArticle", "author": {"name": "Jane Doe"}})
    page = _page(
        "<!-- <script> an old tag, commented out --><p>Kept text.</p>"
        "<script>var s = '</scripting>'; track();</script><style>p { color: red }</style><p>More text.</p>"
        "<SCRIPT src='a.js'></SCRIPT><noscript><p>No script.</p></noscript>",
        f"<script type='application/LD+JSON'>{data}</script>",
    )
    markup = without_scripts(page)
    assert "track()" not in markup and "color: red" not in markup and "a.js" not in markup
    assert "<p>Kept text.</p>" in markup and "<p>More text.</p>" in markup and "No script." in markup
    assert "an old tag" in markup and "Jane Doe" in markup
    assert read_meta(LexborHTMLParser(markup)).authors == ("Jane Doe",)
    assert without_scripts("<p>a</p><script>never closed <p>b</p>") == "<p>a</p><script>never closed <p>b</p>"


@pytest.mark.parametrize("page", [
    _page(f"<p>{PARAGRAPHS[0]}</p>"),
    # load_html's repairs: an XHTML doctype on the first line (not on a later one), control characters,
    # non-characters, a self-closing <html/>
    '<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN" "http://www.w3.org/TR/xhtml1/DTD/x.dtd">\n'
    '<html xmlns="http://www.w3.org/1999/xhtml"><body><p>Text</p></body></html>',
    '<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN"\n "http://www.w3.org/TR/xhtml1/DTD/x.dtd">'
    '<html xmlns="http://www.w3.org/1999/xhtml"><body><p>Text</p></body></html>',
    "<html><body><p>Bell\x07 and\x00 nul, \ufffe and \uffff.</p></body></html>",
    "<html/>\n<body><p>Text after a self-closing html</p></body>",
    "<p>한국어 본문, 中文 and a fragment</p>",
    "no markup at all",
])
def test_lxml_reads_the_bytes_as_trafilatura_reads_the_string(page: str) -> None:
    # The shortcut must give trafilatura the very tree its own load_html would.
    expected, tree = load_html(page), _parsed(encoded(page))
    assert (etree.tostring(tree) if tree is not None else None) == (
        etree.tostring(expected) if expected is not None else None)


def test_pop_ups_and_pictures_inside_running_text_are_dropped() -> None:
    first, second, third = PARAGRAPHS
    body = (f"<article><p>{first} <span class='ToolTip'>Jane Doe: latest stories</span></p>"
            f"<p>{second} <span><img src='a.jpg'><img src='b.jpg'> Photo of the talks</span></p>"
            f"<p>{third}</p></article>")
    text = " ".join(_article(_page(body)))
    assert "latest stories" not in text and "Photo of the talks" not in text
    assert all(paragraph in text for paragraph in PARAGRAPHS)


def test_the_cheap_tests_of_the_chrome_rules_decide_as_the_full_ones() -> None:
    # The rules test a cheap necessary condition first (a digit, a separator, a marker string): these lines
    # pass those and the full pattern decides.
    kept = clean_blocks([Block(p) for p in PARAGRAPHS] + [
        Block("Foto: NTB"), Block("Updated 14:05"), Block("Sign up for our newsletter"),
        Block("Soldiers march in Pyongyang, in this photo released by KCNA"), Block("2025年1月14日 01時28分"),
    ])
    assert [b.text for b in kept] == PARAGRAPHS


def test_word_lists_grouped_by_first_letter_match_as_the_flat_alternation() -> None:
    words = ["english", "español", "espa", "русский язык", "русский", "한국어", "한어", r"\bnav", r"\bads?\b"]
    grouped, flat = re.compile(one_of(words), re.IGNORECASE), re.compile("|".join(words), re.IGNORECASE)
    for line in ("English | Español | Русский язык", "한어 한국어 navigation ads bad", "Espa, esPAÑOL", "no match"):
        assert grouped.findall(line) == flat.findall(line)
    with pytest.raises(ValueError):
        one_of(["a?b"])


def test_sources_toml_selectors_win_over_generic_extraction() -> None:
    note = ("The editors of this page add a note on the sources used, which is long enough to be taken for "
            "article text by any generic extractor that reads the whole container.")
    body = ("<h1>Talks on trade</h1><div class='story'>" + "".join(f"<p>{p}</p>" for p in PARAGRAPHS)
            + f"<div class='note'><p>{note}</p></div></div>")
    assert note in _article(_page(body))
    source = Source(id="t", name="T", languages=("en",), homepage="https://news.example.org/", timezone="UTC",
                    selectors=Selectors(body="div.story > p", title="h1"))
    assert _article(_page(body), source=source) == PARAGRAPHS


def test_site_rules_cut_the_body_at_the_stop_marker() -> None:
    body = ("<h1>Lukashenko meets delegation</h1><div class='js-mediator-article'>"
            + "".join(f"<p>{p}</p>" for p in PARAGRAPHS)
            + "<div class='invite_in_messagers'>Subscribe to our Telegram</div><p>Follow us on X</p></div>")
    url = "https://eng.belta.by/president/view/lukashenko-meets-delegation-170000-2026/"
    assert _article(_page(body), url=url) == PARAGRAPHS


@pytest.mark.parametrize(("selectors", "message"), [
    ({"bdy": "p"}, 'outlet "a": key "selectors": unknown selector "bdy"'),
    ({"body": "div["}, 'outlet "a": key "selectors": not a valid CSS selector'),
    ("div p", 'outlet "a": key "selectors": expected a table'),
])
def test_bad_selectors_in_sources_toml_stop_start_up(selectors: object, message: str) -> None:
    data = {"outlet": [{"id": "a", "name": "A", "homepage": "https://a.example/", "feeds": ["https://a.example/f"],
                        "selectors": selectors}]}
    with pytest.raises(ConfigError) as error:
        parse_settings(data)
    assert message in str(error.value)


def test_selectors_in_sources_toml_are_loaded() -> None:
    data = {"outlet": [{"id": "a", "name": "A", "homepage": "https://a.example/", "feeds": ["https://a.example/f"],
                        "selectors": {"body": "div.story p", "authors": ".byline a"}}]}
    source = parse_settings(data).sources[0]
    assert source.selectors == Selectors(body="div.story p", authors=".byline a")


def test_a_saved_page_takes_its_site_rules_from_the_outlet_homepage() -> None:
    body = ("<h1>Lukashenko meets delegation</h1><div class='js-mediator-article'>"
            + "".join(f"<p>{p}</p>" for p in PARAGRAPHS)
            + "<div class='invite_in_messagers'>Subscribe to our Telegram</div><p>Follow us on X</p></div>")
    belta = Source(id="belta-en", name="BelTA", languages=("en",), homepage="https://eng.belta.by/",
                   timezone="Europe/Minsk")
    assert _article(_page(body), url="file:///tmp/saved.html", source=belta) == PARAGRAPHS


@pytest.mark.parametrize(("title", "paragraphs", "expected"), [
    ("Page not found", ["The page you requested may have been moved or deleted."], True),
    ("404 - Page Not Found", ["Return to the homepage."], True),
    ("Daily News", ["Sorry, this page could not be found", "Try searching our site."], True),  # the h1 says it
    ("페이지를 찾을 수 없습니다", ["요청하신 페이지가 삭제되었거나 주소가 잘못되었습니다."], True),
    ("页面不存在", ["您访问的页面已被删除。"], True),
    ("ページが見つかりません", ["お探しのページは削除された可能性があります。"], True),
    ("Ошибка 404. Страница не найдена", ["Вернуться на главную."], True),
    # A report whose headline has the words is no error page; nor is a long text under such a title.
    ("Missing plane not found, officials say", ["Search teams found no trace of the aircraft on Tuesday."], False),
    ("Not found: the lost city of the Khmer", ["Archaeologists searched the jungle for a month."], False),
    ("Page not found", ["A long article about error pages. " * 20], False),
])
def test_a_not_found_page_is_told_from_an_article(title: str, paragraphs: list[str], expected: bool) -> None:
    assert not_found_page(title, paragraphs) is expected
