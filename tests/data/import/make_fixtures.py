#!/usr/bin/env python3
# SPDX-License-Identifier: EUPL-1.2
# Regenerates the import fixtures (one file per case) in this directory.
# The files are checked in; this script documents how each was made.
H = "Schulnummer;Schülernummer;Nachname;Vorname;Geschlecht;Geburtsdatum;Klasse;Jahrgangsstufe"
base = [("1001", "Müller", "Anna", "w", "01.02.2012", "7a", "7"),
        ("1002", "Łukasiewicz", "Zoë", "w", "2012-03-04", "7a", "7"),
        ("1003", "D’Angelo", "Jean Luc", "m", "05.06.2011", "8b", "8"),
        ("1004", "Öztürk", "Ümit", "m", "07.08.2011", "8b", "8"),
        ("1005", "Weiß", "Jörg", "m", "09.10.2010", "9c", "9"),
        ("1006", "Nguyễn", "Thị Minh", "w", "11.12.2010", "9c", "9"),
        ("1007", "Schmidt", "Lena", "w", "13.01.2009", "10/2", "10"),
        ("1008", "Schmidt", "Lena", "w", "14.02.2009", "10/2", "10"),
        ("1009", "Ćosić", "Dragan", "m", "15.03.2008", "BF-Kfz 1", "11"),
        ("1010", "von der Heide", "Marie-Luise", "w", "16.04.2008", "BF-Kfz 1", "11")]


def rows(rs, school="75123", sep=";"):
    return [sep.join([school] + list(r)) for r in rs]


def w(name, lines, enc="utf-8", nl="\n", bom=b""):
    open(name, "wb").write(bom + (nl.join(lines) + nl).encode(enc))


w("utf8_semicolon.csv", [H] + rows(base))
w("utf8_bom_crlf_comma.csv", [H.replace(";", ",")] + rows(base, sep=","), nl="\r\n", bom=b"\xef\xbb\xbf")
w("utf16le_bom_tab.csv", [H.replace(";", "\t")] + rows(base[:3], sep="\t"), enc="utf-16-le", nl="\r\n", bom=b"\xff\xfe")
w("utf16be_bom.csv", [H] + rows(base[:3]), enc="utf-16-be", bom=b"\xfe\xff")
lat = [("2001", "Müller", "Zoë", "w", "01.02.2012", "5a", "5"), ("2002", "Weiß", "Jörg", "m", "01.02.2012", "5a", "5")]
w("latin1.csv", [H] + rows(lat), enc="latin-1")
w("cp1252.csv", [H] + rows(lat + [("2003", "Šimek", "Ana", "w", "01.02.2012", "5a", "5")]), enc="cp1252", nl="\r\n")
w("latin9.csv", [H] + rows(lat + [("2003", "Šimek", "Ana", "w", "01.02.2012", "5a", "5")]), enc="iso-8859-15")
# quoted cells: delimiter, doubled quotes and a line break (in an extra column)
w("quoted_newline.csv", [H + ";Bemerkung",
                         '75123;3001;"Meier; geb. Schulz";"Anna ""Anni""";w;01.02.2012;6a;6;"Zeile eins',
                         'Zeile zwei"',
                         '75123;3002;Krause;Paul;m;01.02.2012;6a;6;',
                         '75123;3003;Krause;"Paula";w;31.02.2012;6a;6;"x"'])
w("trailing_delimiter.csv", [H + ";"] + [r + ";" for r in rows(base[:2])] + ["", ";;;;;;;;", rows(base[2:3])[0] + ";"])
w("header_spellings.csv", ["  schulnummer ; SCHUELERNUMMER ;nachname;VorName;Extra;Klassenname",
                           "75123;4001;Becker;Tom;ignoriert;7b", "75123;4002;Bäcker;Tim;;7b"])
w("missing_column.csv", ["Schulnummer;Schülernummer;Nachname;Geburtsdatum;Klasse", "75123;5001;Hahn;01.01.2012;7a"])
w("duplicate_key.csv", [H] + rows([("6001", "Ahrens", "Ole", "m", "01.01.2012", "7a", "7"),
                                   ("6002", "Berg", "Ida", "w", "01.01.2012", "7a", "7"),
                                   ("6001", "Claus", "Eva", "w", "01.01.2012", "7a", "7")]))
w("bad_date.csv", [H] + rows([("7001", "Dahl", "Kai", "m", "31.02.2012", "7a", "7"),
                              ("7002", "Ernst", "Mia", "w", "01.01.2012", "7a", "7")]))
w("bad_class.csv", [H] + rows([("7101", "Fink", "Jan", "m", "01.01.2012", "7a!", "7"),
                               ("7102", "Graf", "Lea", "w", "01.01.2012", "7a", "7")]))
w("too_many_cells.csv", [H] + rows([("7201", "Hein", "Tim", "m", "01.01.2012", "7a", "7")]) +
  ["75123;7202;Iser;Pia;w;01.01.2012;7a;7;zu;viel"])
open("bad_encoding.csv", "wb").write(
    (H + "\n75123;7301;Jansen;Ole;m;01.01.2012;7a;7\n").encode() + b"75123;7302;M\xfcller;Eva;w;01.01.2012;7a;7\n" +
    "75123;7303;Kühn;Lia;w;01.01.2012;7a;7\n75123;7304;Löw;Ben;m;01.01.2012;7a;7\n".encode())
# school change: 8001 is at 75123 in school_a and at 75124 in school_b
w("school_a.csv", [H] + rows([("8001", "Lorenz", "Finn", "m", "01.01.2011", "8a", "8"),
                              ("8002", "Mohr", "Ella", "w", "01.01.2011", "8a", "8")]))
w("school_b.csv", [H] + rows([("8001", "Lorenz", "Finn", "m", "01.01.2011", "8c", "8"),
                              ("8003", "Nowak", "Emil", "m", "01.01.2011", "8c", "8")], school="75124"))
# class change, name change, leavers: each on top of the one before
cc = list(base)
cc[0] = ("1001", "Müller", "Anna", "w", "01.02.2012", "7b", "7")
w("class_change.csv", [H] + rows(cc))
nc = list(cc)
nc[1] = ("1002", "Łukasiewicz-Brandt", "Zoë", "w", "2012-03-04", "7a", "7")
w("name_change.csv", [H] + rows(nc))
bc = list(nc)
bc[2] = ("1003", "D’Angelo", "Jean Luc", "m", "15.06.2011", "8b", "8")
w("birth_change.csv", [H] + rows(bc))
w("leaver_one.csv", [H] + rows(nc[:9]))
w("half.csv", [H] + rows(nc[:5]))
w("empty.csv", [H])
w("truncated.csv", [H] + rows(nc[:6]) + ['75123;1007;"Schm'])
w("staff.csv", ["Schulnummer;Lehrernummer;Titel;Nachname;Vorname;Lehramt;Funktion",
                "75123;L01;Dr.;Albrecht;Karin;Gymnasium;Schulleiterin",
                "75123;L02;;Brandt;Uwe;Regionale Schule;Lehrer",
                "75123;L03;;Cramer;Sina;;Lehramtsanwärterin",
                "75123;L04;;Dietz;Ralf;;Hausmeister",
                "75123;L05;;Ebert;Nina;;"])
w("custom.csv", ["ID,Familienname,Rufname,Lerngruppe", "C1,Fischer,Jonas,5 Blau", "C2,Groß,Mila,5 Blau"])
open("custom-profile.ini", "w").write("""# A custom profile: another school program's export for one school
[profile]
name = beispiel-schule
kind = pupil
required = school, key, family, given, class

[columns]
key = ID
family = Familienname | Nachname
given = Rufname
class = Lerngruppe

[fixed]
school = 75123
""")
