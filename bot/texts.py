"""The bot's own phrases: which texts the code needs, and filling them in.

The phrases themselves live in knowledge/texts.yaml, so integrity staff can change the tone;
this module only declares every key the code looks up, with the {placeholders} it fills in
(the loader checks texts.yaml against `REQUIRED`), and formats a loaded text. Keys of the
/protocol answers start with 'protocol.'; they are filled in with {cmd} among other values.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from bot.knowledge.schema import Text

PROTOCOL = "protocol."  # the prefix of the /protocol answers' keys


def _p(*names: str) -> frozenset[str]:
    return frozenset(names)


# every key the code uses -> the placeholders its texts must hold (no more, no fewer)
REQUIRED: dict[str, frozenset[str]] = {
    # the verdict on a draft and the buttons below it
    "go": _p(),
    "caution": _p(),
    "stop": _p(),
    "rule": _p("n", "title"),
    "words": _p("words"),
    "tip": _p("text"),
    "case": _p("title", "date"),
    "fixed": _p("rules"),
    "remaining": _p("rules"),
    "btn_rule": _p("n"),
    "btn_doubt": _p(),
    "btn_tips": _p(),
    "btn_done": _p(),
    "btn_back": _p(),
    "btn_cancel": _p(),
    # greeting, rewrite tips, finishing
    "empty": _p(),
    "home": _p(),
    "mention": _p(),
    "tips_header": _p(),
    "no_tips": _p(),
    "done": _p(),
    "no_review": _p(),
    # the rule-15 doubt walk; 'post' and 'revise' close its outcomes of that kind
    "walk_header": _p(),
    "walk_resumed": _p(),
    "walk_stale": _p(),
    "walk_cancelled": _p(),
    "post": _p(),
    "revise": _p(),
    # asking for advice, only with consent
    "consult_who": _p("contact"),
    "consult_unreachable": _p("contact", "address"),
    "consult_none": _p("role"),
    "btn_own_manager": _p(),
    "ask_manager": _p(),
    "opt_summary": _p(),
    "opt_draft": _p(),
    "opt_cancel": _p(),
    "sent": _p("contact"),
    "not_sent": _p(),
    # the request for advice as the contact gets it, and the answer
    "esc_header": _p(),
    "esc_summary": _p("requester", "verdict", "rules"),
    "esc_draft": _p("draft"),
    "esc_no_draft": _p(),
    "esc_approve": _p(),
    "esc_decline": _p(),
    "esc_discuss": _p(),
    "esc_write": _p(),
    "esc_ask_text": _p(),
    "esc_text_ready": _p(),
    "esc_answered": _p(),
    "esc_result": _p("contact", "status"),
    "esc_unknown": _p(),
    "esc_closed": _p(),
    "esc_reminder": _p(),
    "esc_undelivered": _p("contact", "address"),
    "action_empty": _p(),
    "open_chat_first": _p(),
    "advice_in_chat": _p(),
    "turn_failed": _p(),
    "store_unavailable": _p(),
    "llm_pending": _p("organisation"),
    "llm_header": _p("organisation"),
    "llm_raised": _p("verdict"),
    "llm_rewrite": _p(),
    "llm_agrees": _p(),
    "llm_milder": _p(),
    "llm_unavailable": _p("organisation"),
    "llm_rejected": _p("organisation"),
    "llm_not_used": _p(),
    "llm_off": _p("organisation"),
    "llm_on": _p("organisation"),
    "status_approved": _p(),
    "status_declined": _p(),
    "status_discuss": _p(),
    # for admins
    "refused": _p(),
    "reloaded": _p("version"),
    "reload_failed": _p(),
    "stats_header": _p(),
    "stats_empty": _p(),
    "open_header": _p(),
    "open_empty": _p(),
    "open_rules": _p("rules"),
    # contacts as named in a sentence: 'contact_' + the contact's role
    "contact_manager": _p(),
    "contact_communications": _p(),
    "contact_integrity": _p(),
    "contact_confidential_adviser": _p(),
    # /protocol: the command's answers ({cmd} is the command itself)
    "protocol.overview_title": _p("org"),
    "protocol.overview_intro": _p(),
    "protocol.overview_rules": _p(),
    "protocol.overview_more": _p("cmd"),
    "protocol.help_title": _p("cmd"),
    "protocol.help_admin": _p(),
    "protocol.form_overview": _p(),
    "protocol.form_rule": _p(),
    "protocol.form_search": _p(),
    "protocol.form_case": _p(),
    "protocol.form_role": _p("roles"),
    "protocol.form_tips": _p("cmd"),
    "protocol.form_incident": _p(),
    "protocol.form_doubt": _p(),
    "protocol.form_help": _p(),
    "protocol.form_reload": _p(),
    "protocol.form_stats": _p(),
    "protocol.form_escalations": _p(),
    "protocol.usage_rule": _p("cmd"),
    "protocol.usage_search": _p("cmd"),
    "protocol.usage_case": _p("cmd"),
    "protocol.usage_role": _p("cmd"),
    "protocol.usage_tips": _p("cmd"),
    "protocol.usage_incident": _p("cmd"),
    "protocol.usage_doubt": _p("cmd"),
    "protocol.usage_help": _p("cmd"),
    "protocol.usage_reload": _p("cmd"),
    "protocol.usage_stats": _p("cmd"),
    "protocol.usage_escalations": _p("cmd"),
    "protocol.rule": _p("n"),
    "protocol.rule_list_title": _p(),
    "protocol.rule_open": _p("cmd"),
    "protocol.example_do": _p(),
    "protocol.example_dont": _p(),
    "protocol.example_as": _p("role"),
    "protocol.rule_cases": _p(),
    "protocol.share": _p(),
    "protocol.source": _p("source"),
    "protocol.rule_range": _p("n"),
    "protocol.not_a_number": _p("arg", "cmd"),
    "protocol.search_title": _p("query"),
    "protocol.search_empty": _p("cmd"),
    "protocol.search_none": _p("query", "cmd"),
    "protocol.kind_rule": _p("id"),
    "protocol.kind_case": _p(),
    "protocol.kind_tip": _p(),
    "protocol.kind_playbook": _p(),
    "protocol.kind_legal": _p(),
    "protocol.open_rule": _p("cmd", "id"),
    "protocol.open_case": _p("cmd", "id"),
    "protocol.open_tip": _p("cmd"),
    "protocol.open_playbook": _p("cmd"),
    "protocol.case_list_title": _p(),
    "protocol.case_list_open": _p("cmd"),
    "protocol.case_several": _p("arg"),
    "protocol.case_unknown": _p("arg"),
    "protocol.case_date": _p(),
    "protocol.case_sector": _p(),
    "protocol.case_kind": _p(),
    "protocol.case_rules": _p(),
    "protocol.case_what": _p(),
    "protocol.case_outcome": _p(),
    "protocol.case_lesson": _p(),
    "protocol.sector_public": _p(),
    "protocol.sector_private": _p(),
    "protocol.kind_incident": _p(),
    "protocol.kind_good_practice": _p(),
    "protocol.role_list_title": _p(),
    "protocol.role_list_open": _p("cmd"),
    "protocol.role_unknown": _p("arg"),
    "protocol.role_in_public": _p(),
    "protocol.role_in_private": _p(),
    "protocol.role_rules": _p(),
    "protocol.role_employee": _p(),
    "protocol.role_manager": _p(),
    "protocol.role_communications": _p(),
    "protocol.role_policy_advisor": _p(),
    "protocol.role_executive": _p(),
    "protocol.tips_manager_title": _p(),
    "protocol.tips_employee_title": _p(),
    "protocol.tips_unknown": _p("arg"),
    "protocol.rule_ref_one": _p("rules"),
    "protocol.rule_ref_many": _p("rules"),
    "protocol.incident_title": _p(),
    "protocol.incident_intro": _p(),
    "protocol.incident_contacts": _p(),
    "protocol.doubt_intro": _p(),
    "protocol.contacts_title": _p(),
    "protocol.contact_manager": _p(),
    "protocol.contact_communications": _p(),
    "protocol.contact_integrity": _p(),
    "protocol.contact_hr": _p(),
    "protocol.no_contacts": _p(),
    "protocol.admin_only": _p("form"),
    "protocol.admin_ask": _p(),
    "protocol.unknown": _p("arg", "cmd"),
    "protocol.did_you_mean": _p("cmd", "guess"),
    "protocol.try_search": _p("cmd", "arg"),
    "protocol.valid_forms": _p(),
}


def t(texts: Mapping[str, Text], lang: str, key: str, **values: object) -> str:
    """The text under `key` in `lang` ('en', else Dutch), with its placeholders filled in."""
    return texts[key].get("en" if lang == "en" else "nl").format(**values)


@dataclass(frozen=True)
class Phrases:
    """The loaded texts in one language: `say("rule", n=8, title=...)`."""

    texts: Mapping[str, Text]
    lang: str
    prefix: str = ""

    def __call__(self, key: str, **values: object) -> str:
        return t(self.texts, self.lang, self.prefix + key, **values)

    def has(self, key: str) -> bool:
        return self.prefix + key in REQUIRED
