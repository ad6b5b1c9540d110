"""Rodong Sinmun (www.rodong.rep.kp). OUTLETS.md [S2]: full-width digits in the text, date "YYYY.M.D."."""

from scraper.extract.sites.rules import SiteRules
from scraper.records import Selectors

HOSTS = ("www.rodong.rep.kp", "rodong.rep.kp")
TITLE = "[class*=news_Title]"
DATE = "div.NewsDate, .NewsDate"
# In the old layout the first p.ArticleContent repeats the title; the cleaner drops the echo.
BODY = "p.ArticleContent"

RULES = SiteRules("rodong", HOSTS, Selectors(body=BODY, title=TITLE, date=DATE), nfkc=True)
