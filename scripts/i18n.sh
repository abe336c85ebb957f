#!/usr/bin/env bash
# Translation catalogues: extract the messages, merge them into ky/ru/en, compile.
#   scripts/i18n.sh extract   # translations/messages.pot from the code and templates
#   scripts/i18n.sh update    # extract, then merge into translations/<lang>/LC_MESSAGES/messages.po
#   scripts/i18n.sh compile   # .po -> .mo (the app reads the .mo files)
set -euo pipefail
cd "$(dirname "$0")/.."
PYBABEL="${PYBABEL:-.venv/bin/pybabel}"
KEYWORDS="-k _ -k _l -k gettext -k ngettext:1,2 -k lazy_gettext"
case "${1:-}" in
  extract)
    $PYBABEL extract -F babel.cfg $KEYWORDS --no-location --sort-output --project Sandyk --copyright-holder "Sandyk contributors" -o translations/messages.pot . ;;
  update)
    "$0" extract
    for lang in ky ru en; do
      if [ -f "translations/$lang/LC_MESSAGES/messages.po" ]; then
        $PYBABEL update -i translations/messages.pot -d translations -l "$lang" --no-fuzzy-matching --ignore-obsolete
      else
        $PYBABEL init -i translations/messages.pot -d translations -l "$lang"
      fi
    done ;;
  compile)
    $PYBABEL compile -d translations --use-fuzzy ;;
  *) echo "usage: $0 extract|update|compile" >&2; exit 2 ;;
esac
