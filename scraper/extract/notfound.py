"""Pages that say the article is not there, served with status 200 (a "soft 404").

Many sites answer a removed or mistyped article URL with their error page and status 200. Extracted, that page
would be a record titled "Page not found", and on a revisit a revision of the article with that text. A page is
taken for one when its title or its first paragraph is nothing but such a phrase (in the languages our outlets
write) and its whole text is short: a report whose headline merely contains the words ("Missing plane not found,
officials say") is neither only the phrase nor, usually, that short.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

# Characters of text (all paragraphs) above which a page is an article whatever its title says.
MAX_CHARS = 600

_PHRASE = (
    r"(?:error\s*)?404(?:\s*error)?"
    r"|(?:error\s*:?\s*)?(?:the\s+)?(?:page|article|story|content)\s+(?:was\s+)?not\s+found"
    r"|not\s+found"
    r"|(?:sorry,?\s+|oops!?,?\s+)?(?:this|the)\s+(?:page|article|story)\s+(?:you\s+(?:requested|are\s+looking\s+for)\s+)?"
    r"(?:could\s+not|cannot|can.t|does\s+not|doesn.t)\s+(?:be\s+found|exist)"  # (. for ' and ’)
    r"|(?:sorry,?\s+)?we\s+(?:could\s+not|couldn.t|can.t|cannot)\s+find\s+(?:that|this|the)\s+page"
    r"|(?:요청하신\s*)?페이지를\s*찾을\s*수\s*없습니다|페이지가\s*존재하지\s*않습니다|존재하지\s*않는\s*(?:페이지|기사)입니다"
    r"|(?:您访问的)?页面(?:不存在|未找到|找不到了?)|找不到(?:该|此|您要的)?页面|文章不存在"
    r"|(?:お探しの)?ページ(?:は|が)見つかりません(?:でした)?|ページが存在しません"
    r"|(?:ошибка\s+404\s*[.:–—-]?\s*)?страница\s+не\s+найдена|запрашиваемая\s+страница\s+не\s+найдена"
)
_SEPARATORS = r"[\s.!。！:：|–—-]*"
_ONLY_PHRASES = re.compile(rf"{_SEPARATORS}(?:{_PHRASE})(?:{_SEPARATORS}(?:{_PHRASE}))*{_SEPARATORS}",
                           re.IGNORECASE)


def not_found_page(title: str, paragraphs: Sequence[str]) -> bool:
    """True when the title or the first paragraph is only a "not found" phrase and the text is short."""
    if sum(len(paragraph) for paragraph in paragraphs) > MAX_CHARS:
        return False
    first = paragraphs[0] if paragraphs else ""
    return any(_ONLY_PHRASES.fullmatch(text.strip()) for text in (title, first) if text.strip())
