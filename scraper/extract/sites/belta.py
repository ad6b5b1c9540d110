"""BelTA (eng.belta.by, www.belta.by). docs/outlets.md [S3]: times are Minsk local ("02 October 2026, 11:54")."""

from scraper.extract.sites.rules import SiteRules
from scraper.records import Selectors

HOSTS = ("eng.belta.by", "www.belta.by", "belta.by")
TITLE = "h1"
DATE = 'meta[name="mediator_published_time"], div.date_full'
BODY = "div.js-mediator-article"
DROP = "div.video_add, script, style"
# The article ends where the messenger invitation, the tag list or the clearing div begins.
STOP = "div.invite_in_messagers, div.news_tags, div.clear"

RULES = SiteRules("belta", HOSTS, Selectors(body=BODY, title=TITLE, date=DATE), drop=DROP, stop=STOP)
