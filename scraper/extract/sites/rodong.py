"""Rodong Sinmun (www.rodong.rep.kp), three layouts, newest first (docs/outlets.md [S2], third parties' notes).

- 2025–26: `#article-date` ("2025年 10月 10日 星期五", "Feb. 19, 2026 Thursday [Photo]"), the headline in
  `#ContDIV p.TitleP`, paragraphs `p.TextP`, the writer's signature `p.WriterP`, prev/next buttons ("3 / 543")
  outside the text. Described by third parties; no capture of it is public (docs/outlets.md, "Rodong Sinmun, English").
- 2023: `[class*=news_Title]`, `.NewsDate`, `p.ArticleContent` (the first repeats the headline).
- up to 2022 (index.php?strPageID=SF01_02_01&newsID=...; real captures in tests/fixtures/real/rodong-en/):
  the headline in a bold `<font>` of the centred `p.ArticleContent`, the date in `div.ArticleMenuDate`
  ("Mar. 10, Juche 111 (2022) Thursday"), the right-aligned last `p.ArticleContent` a signature, usually the
  paper's own name.
Full-width digits in the text are folded to ASCII.
"""

from scraper.extract.sites.rules import SiteRules
from scraper.records import Selectors

HOSTS = ("www.rodong.rep.kp", "rodong.rep.kp")
TITLE = "#ContDIV p.TitleP, p.TitleP, [class*=news_Title], p.ArticleContent[align=center] font"
DATE = "#article-date, div.NewsDate, .NewsDate, div.ArticleMenuDate"
BODY = "#ContDIV p.TextP, p.TextP, p.ArticleContent:not([align])"
AUTHORS = "p.WriterP, p.ArticleContent[align=right]"
# The paper signs its own unsigned articles; that is no author.
OWN_NAMES = ("Rodong Sinmun", "The Rodong Sinmun", "로동신문", "劳动新闻", "Родон синмун", "労働新聞")

RULES = SiteRules("rodong", HOSTS, Selectors(body=BODY, title=TITLE, date=DATE, authors=AUTHORS),
                  full_width=True, own_names=OWN_NAMES)
