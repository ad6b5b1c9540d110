"""Xinhua (english.news.cn, www.news.cn, www.xinhuanet.com). docs/outlets.md [S4]: Beijing time."""

from scraper.extract.sites.rules import SiteRules
from scraper.records import Selectors

HOSTS = ("english.news.cn", "www.news.cn", "news.cn", "www.xinhuanet.com", "xinhuanet.com")
TITLE = "span.title, h1"
# The first of these that holds text is the body.
BODY = "#detail, #p-detail, #Content, .content, .main-aticle"
DATE = ".header-time, p.time, .h-time"
DROP = ".pageShare, .share, .editor, .tadd, .bottom-tools, .xinhuaShare"

RULES = SiteRules("xinhua", HOSTS, Selectors(body=BODY, title=TITLE, date=DATE), drop=DROP)
