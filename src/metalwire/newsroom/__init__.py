"""Newsroom: market reports drafted from data, in English and Chinese, with their provenance.

``generators`` turns published figures (survey statistics, assessments, premiums, arbitrage
windows) into a draft article whose every quoted figure carries a ``Fact`` naming the statistic
or assessment it came from; ``phrasing`` formats numbers, dates and lists per language. Both are
pure: plain data in, a draft out; storing, editing and publishing articles is for the service.
"""
