"""Newsroom: market reports drafted from data, in English and Chinese, with their provenance.

``generators`` turns published figures (survey statistics, assessments, premiums, arbitrage
windows) into a draft article whose every quoted figure carries a ``Fact`` naming the statistic
or assessment it came from; ``phrasing`` formats numbers (Babel), dates and lists per language.
Both are pure: plain data in, a draft out. Around them: ``reports`` gathers a report's facts
from released data and stores the drafts, ``teaser`` keeps premium figures out of public titles
and summaries, ``editing`` stores articles and their revisions, ``publishing`` releases them,
and ``service`` reads them as readers and the desk see them.
"""
