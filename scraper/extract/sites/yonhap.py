"""Yonhap News Agency, Korean (www.yna.co.kr) and English (en.yna.co.kr). docs/outlets.md [S16] 2026-01, [S17], [S18].

English: checked on real pages of two layouts (tests/fixtures/real/yonhap-en/): en.yna.co.kr as captured in
2023 (`header.title-article01 h1.tit`, `.info-con .txt` "09:31 August 20, 2019", `article.story-news > p`), and
english.yonhapnews.co.kr as captured in 2017 (`div.article_wrap > h1`, `p.publish-time` "2017/06/01 18:10",
`div.article > p`, photos in `span.ctsimg`). Korean: from [S16]'s description only.
"""

from scraper.extract.sites.rules import SiteRules
from scraper.records import Selectors

KO_HOSTS = ("www.yna.co.kr", "m.yna.co.kr", "yna.co.kr")
KO_TITLE = "h1.tit01, h1.tit, .title-article01 h1"
KO_SUBTITLE = ".tit-sub h2.tit01, .tit-sub h2"
# The byline ("김철수 기자") is printed as a link to the reporter's page.
KO_AUTHORS = ".txt-con .tit-name a, .writer-zone01 .tit-name a"
# "송고2026-01-06 16:46", or the same time in the data-published-time attribute.
KO_DATE = ".update-time, .txt-time01"
KO_BODY = ".story-news.article > p, .story-news > p, div#articleWrap p"
# Photo captions, the "related" aside and the copyright line live inside the story container.
KO_DROP = "aside, .image-zone01, .comp-box, .copyright, .txt-copyright, .adrs, .keyword-zone"

EN_HOSTS = ("en.yna.co.kr", "english.yonhapnews.co.kr")
EN_TITLE = ".title-article01 h1, div.article_wrap > h1"
EN_DATE = ".info-con .txt, .info-con, p.publish-time"
EN_BODY = ".story-news > p, .story-news p, div.article_wrap div.article > p"
EN_DROP = "aside, .image-zone01, .comp-box, .copyright, span.ctsimg"

KOREAN = SiteRules("yonhap-ko", KO_HOSTS, Selectors(body=KO_BODY, title=KO_TITLE, date=KO_DATE, authors=KO_AUTHORS),
                   subtitle=KO_SUBTITLE, drop=KO_DROP)
ENGLISH = SiteRules("yonhap-en", EN_HOSTS, Selectors(body=EN_BODY, title=EN_TITLE, date=EN_DATE), drop=EN_DROP)
