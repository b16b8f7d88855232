"""The interface's languages: message catalogues and locale-aware formatting.

    from core.i18n import _, ngettext
    _("Revenue today")                       # in the current language
    ngettext("{n} club", "{n} clubs", n).format(n=n)

Strings are written in English in the code and translated in `locales/<code>/LC_MESSAGES/messages.po`
(extracted and checked with Babel; see docs/i18n.md). Formatting lives in `core.i18n.format`.
"""

from core.i18n.catalog import (
    N_,
    SOURCE,
    available,
    current_locale,
    gettext,
    language_name,
    negotiate,
    ngettext,
    normalize,
    pgettext,
    set_resolver,
    use_locale,
)

_ = gettext

__all__ = ["N_", "SOURCE", "_", "available", "current_locale", "gettext", "language_name", "negotiate", "ngettext",
           "normalize", "pgettext", "set_resolver", "use_locale"]
