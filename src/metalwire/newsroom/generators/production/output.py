"""The output paragraph: the month's production, its main provinces, the producer type behind
the change, the reasons and the imputed share.

The producer type behind the change is named when one type moved the way the total did and
accounts for at least half of the change (``_TYPE_SHARE``): naming a type that explains a fifth
of a decline would misattribute it.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from metalwire.newsroom import phrasing as ph
from metalwire.newsroom.generators.facts import decimal_of, paragraph
from metalwire.newsroom.generators.production import panel
from metalwire.newsroom.generators.production.reasons import reason_sentences
from metalwire.newsroom.generators.production.writer import ProductionWriter

_TYPE_SHARE = Decimal("0.5")


def main_provinces(w: ProductionWriter) -> list[tuple[str, Mapping[str, Any] | None]]:
    lines = list(w.stats.get("by_province") or [])
    out = []
    for name in w.stats.get("main_provinces") or []:
        line = next(
            (
                item
                for item in lines
                if name in (item.get("name_en"), item.get("name"), item.get("name_zh"))
            ),
            None,
        )
        out.append((str(name), line))
    return out


def provinces_clause(
    w: ProductionWriter, main: list[tuple[str, Mapping[str, Any] | None]], *, share: bool
) -> str:
    names = [w.province(name, line) for name, line in main]
    listed = w.stat("main_provinces", w.join(names), "Main supply provinces", "主要供应省份")
    first_name, first_line = main[0]
    share_text = ""
    if share and first_line is not None and decimal_of(first_line.get("share")) is not None:
        code = first_line.get("name", first_name)
        share_text = w.stat(
            f"by_province[{code}].share",
            ph.percent(decimal_of(first_line["share"]) or Decimal(0), w.lang),
            f"{names[0]}, share of output",
            f"{names[0]}产量占比",
        )
    if w.zh:
        if len(names) == 1:
            text = f"主要供应省份为{listed}"
            return text + (f"，产量占比{share_text}" if share_text else "")
        text = f"主要供应省份包括{listed}"
        return text + (f"，其中{names[0]}产量占比{share_text}" if share_text else "")
    if len(names) == 1:
        text = f"{listed} was the main supply province"
        return text + (f", accounting for {share_text} of output" if share_text else "")
    text = f"Major supply provinces included {listed}"
    return text + (
        f", with {names[0]} alone accounting for {share_text} of output" if share_text else ""
    )


def production_paragraph(w: ProductionWriter) -> str:
    main = main_provinces(w)
    if w.like_for_like or w.output_published is not None:
        opening = panel.output_sentences(w, lambda: _mom_abs_text(w), lambda: _yoy_clause(w))
    else:
        opening = [_production_sentence(w)]
    return paragraph(
        w.lang,
        *opening,
        provinces_clause(w, main, share=True) + w.t(".", "。") if main else None,
        _producer_type_sentence(w),
        *reason_sentences(w),
        _imputation_sentence(w),
    )


def _mom_abs_text(w: ProductionWriter, *, signed: bool = False) -> str:
    assert w.mom_abs is not None
    value = w.mom_abs if signed else abs(w.mom_abs)
    return w.stat(
        "mom_abs", w.qty(value, signed=signed), "Production, change MoM", "产量环比变化量"
    )


def _yoy_clause(w: ProductionWriter) -> str:
    if w.yoy_pct is None:
        return ""
    direction = ph.direction(w.yoy_pct)
    flat = direction == "flat"
    pct = w.stat(
        "yoy_pct",
        ph.percent(w.yoy_pct if flat else abs(w.yoy_pct), w.lang, signed=flat),
        "Production, change YoY",
        "产量同比变化",
    )
    opposite = w.direction in ("up", "down") and direction not in (w.direction, "flat")
    if w.zh:
        if flat:
            return f"，同比基本持平（{pct}）"
        word = "增长" if direction == "up" else "下降"
        return f"，{'但' if opposite else ''}同比{'仍' if opposite else ''}{word}{pct}"
    if flat:
        return f", and was little changed YoY ({pct})"
    word = "up" if direction == "up" else "down"
    return f", {'but' if opposite else 'and'} was {word} {pct} YoY"


def _production_sentence(w: ProductionWriter) -> str:
    # Figures are quoted (and so recorded as facts) in the order the sentence reads them.
    level = w.production_text()
    if w.zh:
        text = f"据{w.survey}调研，{w.month_year}国内{w.commodity}产量为{level}"
        if w.mom_pct is None:
            return text + _yoy_clause(w) + "。"
        if ph.magnitude(w.mom_pct) == "flat":
            if w.mom_pct == 0:
                return f"{text}，与上月持平{_yoy_clause(w)}。"
            pct = w.mom_pct_text()
            extra = f"，{_mom_abs_text(w, signed=True)}" if w.mom_abs is not None else ""
            return f"{text}，环比基本持平（{pct}{extra}）{_yoy_clause(w)}。"
        change = w.verb_zh(summary=True)
        if w.mom_abs is not None:
            change += f"，{'增加' if w.mom_pct > 0 else '减少'}{_mom_abs_text(w)}"
        return f"{text}，{change}{_yoy_clause(w)}。"

    lead = f"According to the {w.survey} survey, domestic {w.commodity} production"
    if w.mom_pct is None:
        return f"{lead} totalled {level} in {w.month_year}{_yoy_clause(w)}."
    size = ph.magnitude(w.mom_pct)
    up = w.mom_pct > 0
    if size == "flat":
        if w.mom_pct == 0:
            tail = f"unchanged from {w.previous_month}"
        else:
            pct = w.mom_pct_text()
            extra = f" ({_mom_abs_text(w, signed=True)})" if w.mom_abs is not None else ""
            tail = f"a change of {pct}{extra} from {w.previous_month}"
        return f"{lead} held steady in {w.month_year} at {level}, {tail}{_yoy_clause(w)}."
    verb = {
        "slight": "edged up" if up else "edged down",
        "moderate": "rose by" if up else "declined by",
        "large": "surged" if up else "plunged",
    }[size]
    text = f"{lead} {verb} {w.mom_pct_text()} MoM in {w.month_year} to {level}"
    if w.mom_abs is not None:
        amount = _mom_abs_text(w)
        if size == "slight":
            text += f", {'up' if up else 'down'} {amount} from {w.previous_month}"
        else:
            noun = "an increase" if up else "a drop"
            text += f", {noun} of {amount} from {w.previous_month}"
    return f"{text}{_yoy_clause(w)}."


def _producer_type_sentence(w: ProductionWriter) -> str | None:
    if w.direction not in ("up", "down") or not w.mom_abs:
        return None
    lines = list(w.stats.get("by_producer_type") or [])
    if len(lines) < 2:
        return None
    up = w.direction == "up"
    moving = []
    for line in lines:
        change = decimal_of(line.get("change_abs"))
        if change is not None and change != 0 and (change > 0) == up:
            moving.append((abs(change), str(line["name"]), line))
    if not moving:
        return None
    size, name, line = max(moving, key=lambda m: (m[0], m[1]))
    if size < _TYPE_SHARE * abs(w.mom_abs):
        return None
    who = w.stat(
        f"by_producer_type[{name}].name",
        w.type_name(name),
        "Producer type behind the change",
        "主要变化的企业类型",
    )
    amount = w.stat(
        f"by_producer_type[{name}].change_abs",
        w.qty(size),
        f"{w.type_name(name)}, change MoM",
        f"{w.type_name(name)}环比变化量",
    )
    pct_value = decimal_of(line.get("change_pct"))
    pct = (
        w.stat(
            f"by_producer_type[{name}].change_pct",
            ph.percent(abs(pct_value), w.lang),
            f"{w.type_name(name)}, change MoM (%)",
            f"{w.type_name(name)}环比变化率",
        )
        if pct_value is not None
        else None
    )
    if w.zh:
        text = (
            f"分企业类型看，{'增量' if up else '减量'}主要来自{who}，"
            f"环比{'增加' if up else '减少'}{amount}"
        )
        return text + (f"（{'增幅' if up else '降幅'}{pct}）" if pct else "") + "。"
    text = (
        f"By producer type, the {'increase' if up else 'reduction'} came mainly from {who}, "
        f"whose output {'rose' if up else 'fell'} by {amount}"
    )
    return text + (f" ({pct})" if pct else "") + "."


def _imputation_sentence(w: ProductionWriter) -> str | None:
    n = w.stats.get("imputed_count")
    if not n:
        return None
    count = w.stat(
        "imputed_count", ph.integer(int(n), w.lang), "Smelters imputed", "估算冶炼厂数量"
    )
    share_value = decimal_of(w.stats.get("imputed_share"))
    share = (
        w.stat(
            "imputed_share",
            ph.percent(share_value, w.lang),
            "Imputed share of output",
            "估算量占比",
        )
        if share_value is not None
        else None
    )
    if w.zh:
        tail = f"（占产量的{share}）" if share else ""
        return f"总量中包含对{count}家未报送冶炼厂的估算{tail}。"
    tail = f" ({share} of output)" if share else ""
    who = w.smelters(int(n), count)
    return f"The total includes estimates for {who} that had not reported{tail}."
