/* SPDX-License-Identifier: EUPL-1.2
 * Messages of the SIP import in German (first) and English: row errors,
 * refusals, change descriptions and action labels. One table, indexed by
 * message id, so a missing translation is a compile-time gap, not a crash.
 */
#include <stddef.h>

#include "import_int.h"

typedef struct msg_pair {
    const char *de;
    const char *en;
} msg_pair;

static const msg_pair msgs[M__COUNT] = {
    [M_ROW_BAD_ENCODING] = {"ungültige Bytefolge (Kodierung %s)",
                            "invalid byte sequence (encoding %s)"},
    [M_ROW_TOO_MANY_CELLS] = {"die Zeile hat %zu Zellen, die Kopfzeile nur %zu",
                              "the row has %zu cells, the header only %zu"},
    [M_ROW_MISSING_VALUE] = {"Wert fehlt", "value is missing"},
    [M_ROW_BAD_DATE] = {"„%s“ ist kein Datum (TT.MM.JJJJ oder JJJJ-MM-TT)",
                        "\"%s\" is not a date (DD.MM.YYYY or YYYY-MM-DD)"},
    [M_ROW_BAD_NAME] = {"ungültiger Name (Steuerzeichen, nicht zugewiesenes "
                        "Zeichen oder mehr als 200 Zeichen)",
                        "invalid name (control or unassigned character, or "
                        "more than 200 characters)"},
    [M_ROW_BAD_CLASS] = {"„%s“ ist kein gültiger Klassenname (Buchstaben, "
                         "Ziffern, Leerzeichen, / - . _; höchstens 64 Zeichen)",
                         "\"%s\" is not a valid class name (letters, digits, "
                         "spaces, / - . _; at most 64 characters)"},
    [M_ROW_BAD_SCHOOL] = {"„%s“ ist keine Schulnummer (5 oder 6 Ziffern)",
                          "\"%s\" is not a school number (5 or 6 digits)"},
    [M_ROW_OUT_OF_SCOPE] = {"Schule %s gehört nicht zu diesem Lauf (--school)",
                            "school %s is not in the scope of this run "
                            "(--school)"},
    [M_ROW_BAD_KEY] = {"„%s“ ist kein gültiger Schlüssel (1 bis 128 Zeichen, "
                       "keine Steuerzeichen)",
                       "\"%s\" is not a valid key (1 to 128 characters, no "
                       "control characters)"},
    [M_ROW_DUPLICATE_KEY] = {"Schlüssel „%s“ kommt mehrfach vor (Zeilen %s)",
                             "key \"%s\" appears more than once (lines %s)"},
    [M_ROW_BAD_ROLE] = {"„%s“ ist keine bekannte Funktion",
                        "\"%s\" is not a known function"},
    [M_ROW_BAD_GENDER] = {"„%s“ ist kein Geschlecht (m, w, d, x)",
                          "\"%s\" is not a gender (m, w, d, x)"},
    [M_ROW_BAD_GRADE] = {"„%s“ ist keine Jahrgangsstufe (1 bis 13)",
                         "\"%s\" is not a grade (1 to 13)"},
    [M_ROW_CSV] = {"fehlerhafte CSV-Zeile: %s", "malformed CSV row: %s"},
    [M_ROW_CELL_TOO_LONG] = {"die Zelle ist länger als %d Bytes",
                             "the cell is longer than %d bytes"},
    [M_FILE_EMPTY] = {"%s: die Datei ist leer", "%s: the file is empty"},
    [M_FILE_NO_HEADER] = {"%s: keine Kopfzeile gefunden",
                          "%s: no header line found"},
    [M_FILE_MISSING_COLUMN] = {"%s: Pflichtspalte „%s“ fehlt (Profil %s)",
                               "%s: required column \"%s\" is missing "
                               "(profile %s)"},
    [M_FILE_NO_PROFILE] = {"%s: kein Profil passt zur Kopfzeile; mit "
                           "--profile wählen",
                           "%s: no profile matches the header; choose one "
                           "with --profile"},
    [M_FILE_AMBIGUOUS_PROFILE] = {"%s: die Kopfzeile passt zu mehreren "
                                  "Profilen (%s); mit --profile wählen",
                                  "%s: the header matches several profiles "
                                  "(%s); choose one with --profile"},
    [M_FILE_CSV] = {"%s: Zeile %d: %s", "%s: line %d: %s"},
    [M_FILE_CELL_TOO_LONG] =
        {"%s: Zeile %d, Spalte %d: die Zelle ist länger als %d Bytes",
         "%s: line %d, column %d: the cell is longer than %d bytes"},
    [M_FILE_TOO_BIG] = {"%s: die Datei ist größer als %zu MiB",
                        "%s: the file is larger than %zu MiB"},
    [M_RUN_UNKNOWN_SCHOOL] = {"Schule %s gibt es nicht",
                              "there is no school %s"},
    [M_RUN_TOO_MANY_ERRORS] = {"%zu Zeile(n) mit Fehlern (erlaubt: %ld); "
                               "nichts geschrieben",
                               "%zu row(s) with errors (allowed: %ld); "
                               "nothing written"},
    [M_RUN_GUARD] = {"Schule %s: %zu von %zu Personen (%zu %%) würden "
                     "ausscheiden, erlaubt sind %d %%; nichts geschrieben "
                     "(mit --yes bestätigen)",
                     "school %s: %zu of %zu persons (%zu %%) would leave, "
                     "more than %d %%; nothing written (confirm with --yes)"},
    [M_RUN_NO_ROWS] = {"Schule %s: die Datei enthält keine Zeile für die %zu "
                       "Personen der Schule; eine leere oder abgeschnittene "
                       "Datei löscht nie eine Schule",
                       "school %s: the file holds no row for its %zu persons; "
                       "an empty or truncated file never wipes a school"},
    [M_CH_NAME] = {"Name %s → %s", "name %s → %s"},
    [M_CH_BIRTH] = {"Geburtsdatum %s → %s", "birth date %s → %s"},
    [M_CH_CLASS] = {"Klasse %s → %s", "class %s → %s"},
    [M_CH_SCHOOL] = {"Schule %s → %s", "school %s → %s"},
    [M_CH_ROLE] = {"Rolle %s → %s", "role %s → %s"},
    [M_CH_REACTIVATED] = {"reaktiviert (gleiche Anmeldung)",
                          "reactivated (same login)"},
    [M_CH_LEAVING] = {"fehlt in der Datei: wird deaktiviert und nach %d Tagen "
                      "gelöscht",
                      "missing from the file: disabled now, deleted after %d "
                      "days"},
    [M_CH_DELETED] = {"ausgeschieden am %s, Frist von %d Tagen abgelaufen: "
                      "wird gelöscht",
                      "left on %s, grace period of %d days over: deleted"},
    [M_CH_DISABLED_BY_ADMIN] = {"Konto ist von der Verwaltung %s; bleibt so",
                                "account was %s by an administrator; stays "
                                "so"},
    [M_AT_LINE] = {"Zeile %d", "line %d"},
    [M_AT_COLUMN] = {"Zeile %d, Spalte %d", "line %d, column %d"},
    [M_AT_CELL] = {"Zeile %d, Spalte %d (%s)", "line %d, column %d (%s)"},
};

const char *sip_import__msg(sip_import_lang lang, import_msg id)
{
    if ((int)id < 0 || id >= M__COUNT || msgs[id].de == NULL) {
        return "?";
    }
    return lang == SIP_IMPORT_EN ? msgs[id].en : msgs[id].de;
}

static const struct {
    const char *name;
    msg_pair label;
} actions[SIP_IMPORT_ACTION__COUNT] = {
    [SIP_IMPORT_NEW] = {"new", {"neu", "new"}},
    [SIP_IMPORT_UPDATED] = {"updated", {"geändert", "updated"}},
    [SIP_IMPORT_MOVED_CLASS] = {"moved_class",
                                {"Klassenwechsel", "moved between classes"}},
    [SIP_IMPORT_MOVED_SCHOOL] = {"moved_school",
                                 {"Schulwechsel", "moved between schools"}},
    [SIP_IMPORT_UNCHANGED] = {"unchanged", {"unverändert", "unchanged"}},
    [SIP_IMPORT_LEAVING] = {"leaving", {"Abgang", "leaving"}},
    [SIP_IMPORT_REACTIVATED] = {"reactivated", {"reaktiviert", "reactivated"}},
    [SIP_IMPORT_DELETED] = {"deleted", {"gelöscht", "deleted"}},
    [SIP_IMPORT_ERROR] = {"error", {"Fehler", "errors"}},
};

const char *sip_import_action_label(sip_import_action action,
                                    sip_import_lang lang)
{
    if ((int)action < 0 || action >= SIP_IMPORT_ACTION__COUNT) {
        return "?";
    }
    return lang == SIP_IMPORT_EN ? actions[action].label.en
                                 : actions[action].label.de;
}

const char *sip_import_action_name(sip_import_action action)
{
    if ((int)action < 0 || action >= SIP_IMPORT_ACTION__COUNT) {
        return "unknown";
    }
    return actions[action].name;
}
