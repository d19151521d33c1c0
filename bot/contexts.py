"""Names of the built-in contexts that signals may require (computed by the engine, not YAML)."""

from __future__ import annotations

BUILTIN_CONTEXTS: dict[str, str] = {
    "org": "the organisation's name or one of its aliases occurs",
    "org_topic": "a word built on the kind of body the organisation is ('waterschapslasten')",
    "internal_channel": (
        "the draft is headed as a post on the organisation's own channel ('[Intranet van …]')"
    ),
    "own_product": "one of the organisation's own products or services is named",
    "client": "a client from the profile is named",
    "partner": "a partner from the profile is named",
    "supplier": "a supplier from the profile is named",
    "relation": "a client, partner or supplier from the profile is named",
    "competitor": "a competitor from the profile is named",
    "confidential_term": "a confidential term from the profile occurs",
    "senior_role": "the author is a manager, executive or policy adviser",
    "voice_role": "the author speaks for the organisation by function (communications)",
    "public_sector": "the organisation is in the public sector",
    "private_sector": "the organisation is in the private sector",
    "reply": "the draft is a reply to someone (starts with an @handle)",
    "address": "a street address or postcode with house number occurs",
    "phone": "a Dutch phone number occurs",
    "bsn": "a valid BSN (citizen service number) occurs",
    "iban": "a valid IBAN occurs",
    "email": "an e-mail address occurs",
    "named_person": "a person is named (a capitalised first name or initials with a surname)",
    "quote": "the draft quotes someone's words (four or more words between quotation marks)",
    "long_copy": "the draft holds a long passage copied from elsewhere",
}
