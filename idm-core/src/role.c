/* SPDX-License-Identifier: EUPL-1.2
 * The role table: identifiers, labels, eduPersonAffiliation values,
 * SchulConneX role codes and the unit types each role may be held at.
 */
#include <string.h>

#include "idm/role.h"

#define AT(t) (1u << (t))
#define SCHOOL AT(IDM_ORG_SCHOOL)

static const char *const aff_pupil[] = {"student", "member", NULL};
static const char *const aff_faculty[] = {"faculty", "employee", "member",
                                          NULL};
static const char *const aff_staff[] = {"staff", "employee", "member", NULL};
static const char *const aff_leader[] = {"faculty", "staff", "employee",
                                         "member", NULL};
static const char *const aff_guardian[] = {"affiliate", NULL};
static const char *const aff_none[] = {NULL};

static const idm_role_info roles[IDM_ROLE__COUNT] = {
    [IDM_ROLE_PUPIL] = {IDM_ROLE_PUPIL, "pupil", "Schüler/in", "Pupil",
                        aff_pupil, "Lern", SCHOOL, 0},
    [IDM_ROLE_TEACHER] = {IDM_ROLE_TEACHER, "teacher", "Lehrkraft", "Teacher",
                          aff_faculty, "Lehr", SCHOOL, 0},
    [IDM_ROLE_TRAINEE] = {IDM_ROLE_TRAINEE, "trainee",
                          "Lehrkraft im Vorbereitungsdienst", "Trainee teacher",
                          aff_faculty, "Lehr", SCHOOL, 0},
    [IDM_ROLE_PEDAGOGICAL_STAFF] = {IDM_ROLE_PEDAGOGICAL_STAFF,
                                    "pedagogical_staff",
                                    "Pädagogisches Personal",
                                    "Pedagogical staff", aff_staff, "NLehr",
                                    SCHOOL, 0},
    [IDM_ROLE_MUNICIPAL_STAFF] = {IDM_ROLE_MUNICIPAL_STAFF, "municipal_staff",
                                  "Kommunales Personal (Schulträger)",
                                  "Municipal staff", aff_staff, "Extern",
                                  SCHOOL | AT(IDM_ORG_SCHOOL_BOARD), 0},
    [IDM_ROLE_SCHOOL_LEADER] = {IDM_ROLE_SCHOOL_LEADER, "school_leader",
                                "Schulleitung", "School leader", aff_leader,
                                "Leit", SCHOOL, 0},
    [IDM_ROLE_GUARDIAN] = {IDM_ROLE_GUARDIAN, "guardian",
                           "Erziehungsberechtigte/r", "Guardian", aff_guardian,
                           "SorgBer", SCHOOL, 0},
    [IDM_ROLE_AUTHORITY_STAFF] = {IDM_ROLE_AUTHORITY_STAFF, "authority_staff",
                                  "Personal des Schulamts",
                                  "School-authority staff", aff_staff, "NLehr",
                                  AT(IDM_ORG_AUTHORITY), 0},
    [IDM_ROLE_MINISTRY_STAFF] = {IDM_ROLE_MINISTRY_STAFF, "ministry_staff",
                                 "Personal des Ministeriums", "Ministry staff",
                                 aff_staff, "NLehr", AT(IDM_ORG_MINISTRY), 0},
    [IDM_ROLE_SCHOOL_ADMIN] = {IDM_ROLE_SCHOOL_ADMIN, "school_admin",
                               "Schuladministration", "School administrator",
                               aff_none, "OrgAdmin", SCHOOL, 1},
    [IDM_ROLE_AUTHORITY_ADMIN] = {IDM_ROLE_AUTHORITY_ADMIN, "authority_admin",
                                  "Administration des Schulamts",
                                  "School-authority administrator", aff_none,
                                  "OrgAdmin", AT(IDM_ORG_AUTHORITY), 1},
    [IDM_ROLE_MINISTRY_ADMIN] = {IDM_ROLE_MINISTRY_ADMIN, "ministry_admin",
                                 "Landesadministration",
                                 "Ministry administrator", aff_none, "SysAdmin",
                                 AT(IDM_ORG_MINISTRY), 1},
};

const idm_role_info *idm_role_lookup(const char *name)
{
    if (name == NULL) {
        return NULL;
    }
    for (int i = 0; i < IDM_ROLE__COUNT; i++) {
        if (strcmp(roles[i].name, name) == 0) {
            return &roles[i];
        }
    }
    return NULL;
}

const idm_role_info *idm_role_get(idm_role role)
{
    if ((int)role < 0 || role >= IDM_ROLE__COUNT) {
        return NULL;
    }
    return &roles[role];
}

int idm_role_valid_at(idm_role role, idm_org_type type)
{
    const idm_role_info *info = idm_role_get(role);

    if (info == NULL || (int)type < 0 || type >= IDM_ORG__COUNT) {
        return 0;
    }
    return (info->org_types & AT(type)) != 0;
}
