"""Korean Central News Agency (www.kcna.kp), both URL schemes. docs/outlets.md [S1] [S6] [S7].

The new scheme prints no date: the dateline ("Pyongyang, September 10 (KCNA) --") gives it, with the
year inferred (generic code). The body ends with "-0-", removed as an end mark.
"""

from scraper.extract.sites.rules import SiteRules
from scraper.records import Selectors

HOSTS = ("www.kcna.kp", "kcna.kp")
TITLE = "div.article-main-title, h1.text-center, h1"
# "www.kcna.kp (2025.12.14.)" or, in Juche years, "(Juche113.3.9.)".
DATE = "span.publish-time, .publish-time"
BODY = ".article-content-body .content-wrapper p, .article-content-body .content-wrapper, article p"
DROP = ".media-icon, .photo-area, .video-area"

RULES = SiteRules("kcna", HOSTS, Selectors(body=BODY, title=TITLE, date=DATE), drop=DROP)
