#!/usr/bin/env python3
# SPDX-License-Identifier: EUPL-1.2
# Generate a SIP-Schule pupil export: COUNT pupils across SCHOOLS schools
# (numbers 75000..), classes 1a-13c, German names with umlauts.
# usage: gen.py COUNT SCHOOLS OUT [CHANGED_PERCENT SEED]
# With CHANGED_PERCENT, the same pupils (same seed) with that share changed:
# a third change class, a third change family name, a third are replaced.
import random
import sys

GIVEN = ["Anna", "Ben", "Clara", "Daniel", "Emma", "Felix", "Greta", "Hannes", "Ida", "Jonas",
         "Jörg", "Jürgen", "Käthe", "Lena", "Lukas", "Mia", "Noah", "Özlem", "Paul", "Sören",
         "Tim", "Ümit", "Zoë", "Élodie", "Marie-Luise", "Jean Luc", "Łucja", "Nguyễn Thị", "Ole", "Björn"]
FAMILY = ["Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker", "Schulz",
          "Hoffmann", "Schäfer", "Koch", "Bauer", "Richter", "Klein", "Wolf", "Schröder", "Neumann",
          "Schwarz", "Zimmermann", "Braun", "Krüger", "Hofmann", "Hartmann", "Lange", "Schmitt",
          "Werner", "Krause", "Meier", "Lehmann", "Köhler", "Groß", "Weiß", "Jäger", "Böhm",
          "D'Angelo", "Öztürk", "von der Heide", "Łukasiewicz", "Nowak"]
CLASSES = ["%d%s" % (g, c) for g in range(1, 14) for c in "abc"]


def main():
    count, schools, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    changed = float(sys.argv[4]) if len(sys.argv) > 4 else 0.0
    rnd = random.Random(int(sys.argv[5]) if len(sys.argv) > 5 else 42)
    chg = random.Random(7)
    with open(out, "w", encoding="utf-8", newline="") as f:
        f.write("Schulnummer;Schülernummer;Nachname;Vorname;Geschlecht;Geburtsdatum;Klasse;Jahrgangsstufe\r\n")
        for i in range(count):
            school = 75000 + i % schools
            cls = rnd.choice(CLASSES)
            grade = int(cls[:-1])
            fam, giv = rnd.choice(FAMILY), rnd.choice(GIVEN)
            day, month, year = rnd.randint(1, 28), rnd.randint(1, 12), 2019 - grade
            key = "S%07d" % i
            if changed and chg.random() * 100 < changed:
                kind = chg.randint(0, 2)
                if kind == 0:
                    cls = CLASSES[(CLASSES.index(cls) + 1) % len(CLASSES)]
                    grade = int(cls[:-1])
                elif kind == 1:
                    fam = fam + "-" + chg.choice(FAMILY)
                else:
                    key = "N%07d" % i  # left, and a new pupil came
            f.write("%d;%s;%s;%s;%s;%02d.%02d.%d;%s;%d\r\n" % (
                school, key, fam, giv, rnd.choice("mwd"), day, month, year, cls, grade))


main()
