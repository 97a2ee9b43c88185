/* SPDX-License-Identifier: EUPL-1.2
 * Unit tests for the config registry (base/conf.h): a component's own
 * section fills its own struct (types, defaults, ranges, checks, paths,
 * secrets), is unknown until registered, cannot take another's keys or
 * base's groups, may share a group with another component's keys, and
 * shows in the describe output in registration order.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <glib.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/conf.h"
#include "base/db.h"
#include "base/err.h"
#include "base/log.h"

/* a component's own struct and group */
typedef struct demo_conf {
    char *name;
    char *dir;
    char *token;
    int low, high;
    uint32_t size;
} demo_conf;

static const char *check_name(const char *v)
{
    return strchr(v, ' ') != NULL ? "must not hold a space" : NULL;
}

#define OFF(f) offsetof(demo_conf, f)

static const idm_conf_key demo_keys[] = {
    {.key = "name",
     .type = IDM_CONF_STRING,
     .def = "demo",
     .offset = OFF(name),
     .doc = "a name",
     .check = check_name},
    {.key = "dir",
     .type = IDM_CONF_PATH,
     .def = NULL,
     .offset = OFF(dir),
     .doc = "a directory"},
    {.key = "token_file",
     .type = IDM_CONF_SECRET,
     .def = NULL,
     .offset = OFF(token),
     .doc = "file holding a token"},
    {.key = "low",
     .type = IDM_CONF_INT,
     .def = "1",
     .min = 0,
     .max = 10,
     .offset = OFF(low),
     .doc = "lower bound"},
    {.key = "high",
     .type = IDM_CONF_INT,
     .def = "5",
     .min = 0,
     .max = 10,
     .offset = OFF(high),
     .doc = "upper bound"},
    {.key = "size",
     .type = IDM_CONF_U32,
     .def = "4096",
     .min = 1,
     .max = 4194304,
     .offset = OFF(size),
     .doc = "a size"},
};

static int check_demo(const void *values, const char *path, idm_err *err)
{
    const demo_conf *c = values;

    if (c->high < c->low) {
        return idm_err_set(err, IDM_ECONFIG, "%s: [demo] high < low", path);
    }
    return 0;
}

static const idm_conf_section demo_section = {
    .group = "demo",
    .keys = demo_keys,
    .nkeys = sizeof(demo_keys) / sizeof(demo_keys[0]),
    .size = sizeof(demo_conf),
    .check = check_demo,
};

/* another component owning other keys of the same group */
typedef struct demo2_conf {
    int extra;
} demo2_conf;

static const idm_conf_key demo2_keys[] = {
    {.key = "extra",
     .type = IDM_CONF_INT,
     .def = "3",
     .min = 0,
     .max = 9,
     .offset = offsetof(demo2_conf, extra),
     .doc = "another component's key"},
};

static const idm_conf_section demo2_section = {
    .group = "demo",
    .keys = demo2_keys,
    .nkeys = 1,
    .size = sizeof(demo2_conf),
};

/* another component trying to take a key of the group */
static const idm_conf_section thief_section = {
    .group = "demo",
    .keys = demo_keys,
    .nkeys = 1,
    .size = sizeof(demo_conf),
};

/* a section naming one key twice */
static const idm_conf_key twice_keys[] = {
    {.key = "x", .type = IDM_CONF_INT, .min = 0, .max = 1, .doc = "x"},
    {.key = "x", .type = IDM_CONF_INT, .min = 0, .max = 1, .doc = "x"},
};

static const idm_conf_section twice_section = {
    .group = "twice",
    .keys = twice_keys,
    .nkeys = 2,
    .size = sizeof(int),
};

/* ... or base's [log] */
static const idm_conf_section log_thief_section = {
    .group = "log",
    .keys = demo_keys,
    .nkeys = 1,
    .size = sizeof(demo_conf),
};

static const demo_conf *demo_get(const idm_conf *conf)
{
    return idm_conf_values(conf, &demo_section);
}

static const demo2_conf *demo2_get(const idm_conf *conf)
{
    return idm_conf_values(conf, &demo2_section);
}

static char *describe(void)
{
    char *text = NULL;
    size_t len = 0;
    FILE *fp = open_memstream(&text, &len);

    assert_non_null(fp);
    idm_conf_describe(fp);
    assert_int_equal(fclose(fp), 0);
    return text;
}

/* One test, in order: the registry is process-wide. */
static void test_registry(void **state)
{
    static const char text[] = "[demo]\nname = x\nlow = 2\nhigh = 3\n"
                               "size = 7\ndir = sub\ntoken_file = t\n"
                               "extra = 4\n[log]\nlevel = debug\n";
    char *dir = g_dir_make_tmp("idm-reg-XXXXXX", NULL);
    char *conf_path = g_build_filename(dir, "idm.conf", NULL);
    char *token = g_build_filename(dir, "t", NULL);
    char *sub = g_build_filename(dir, "sub", NULL);
    idm_err err = IDM_ERR_INIT;
    idm_conf *conf = NULL;
    const demo_conf *d;
    char *text_out;

    (void)state;
    assert_true(g_file_set_contents(token, "s3cret\n", -1, NULL));

    /* unknown until registered; base's own groups are always known */
    assert_int_equal(
        idm_conf_load_data(&conf, text, strlen(text), conf_path, &err),
        IDM_ECONFIG);
    assert_non_null(strstr(err.msg, ":1: unknown group [demo]"));
    text_out = describe();
    assert_null(strstr(text_out, "[demo]"));
    assert_non_null(strstr(text_out, "[database]"));
    free(text_out);

    assert_int_equal(idm_conf_register(&demo_section, &err), 0);
    assert_int_equal(idm_conf_register(&demo_section, &err), 0);
    assert_int_equal(idm_conf_register(&demo2_section, &err), 0);
    assert_int_equal(idm_conf_register(&thief_section, &err), IDM_EINTERNAL);
    assert_non_null(strstr(err.msg, "[demo] registered twice"));
    assert_int_equal(idm_conf_register(&log_thief_section, &err),
                     IDM_EINTERNAL);
    assert_int_equal(idm_conf_register(&twice_section, &err), IDM_EINTERNAL);
    assert_non_null(strstr(err.msg, "[twice] x: defined twice"));
    /* registering base's own is allowed and puts them in order */
    assert_int_equal(idm_conf_register(&idm_log_conf_section, &err), 0);

    /* defaults */
    assert_int_equal(idm_conf_defaults(&conf, &err), 0);
    d = demo_get(conf);
    assert_string_equal(d->name, "demo");
    assert_null(d->dir);
    assert_null(d->token);
    assert_int_equal(d->low, 1);
    assert_int_equal(d->high, 5);
    assert_int_equal(d->size, 4096);
    assert_int_equal(demo2_get(conf)->extra, 3);
    assert_int_equal(idm_log_conf_get(conf)->level, IDM_LOG_INFO);
    assert_int_equal(idm_db_conf_get(conf)->connect_timeout, 10);
    idm_conf_free(conf);

    /* values from the file, in the component's own struct */
    assert_int_equal(
        idm_conf_load_data(&conf, text, strlen(text), conf_path, &err), 0);
    d = demo_get(conf);
    assert_string_equal(d->name, "x");
    assert_string_equal(d->dir, sub);
    assert_string_equal(d->token, "s3cret");
    assert_int_equal(d->low, 2);
    assert_int_equal(d->high, 3);
    assert_int_equal(d->size, 7);
    assert_int_equal(demo2_get(conf)->extra, 4);
    assert_int_equal(idm_log_conf_get(conf)->level, IDM_LOG_DEBUG);
    idm_conf_free(conf);
    conf = NULL;

    /* the key's check, its range and the section's check */
    assert_int_equal(
        idm_conf_load_data(&conf, "[demo]\nname = a b\n", 18, conf_path, &err),
        IDM_ECONFIG);
    assert_non_null(
        strstr(err.msg, ":2: [demo] name: value must not hold a space"));
    assert_int_equal(
        idm_conf_load_data(&conf, "[demo]\nhigh = 11\n", 17, conf_path, &err),
        IDM_ECONFIG);
    assert_non_null(strstr(err.msg, ":2: [demo] high: 11 is outside 0..10"));
    assert_int_equal(
        idm_conf_load_data(&conf, "[demo]\nlow = 9\n", 15, conf_path, &err),
        IDM_ECONFIG);
    assert_non_null(strstr(err.msg, ": [demo] high < low"));
    /* a key no section of the shared group owns */
    assert_int_equal(idm_conf_load_data(&conf, "[demo]\nextra = 1\nbogus = 1\n",
                                        27, conf_path, &err),
                     IDM_ECONFIG);
    assert_non_null(strstr(err.msg, ":3: [demo] bogus: unknown key"));
    assert_int_equal(
        idm_conf_load_data(&conf, "[demo]\nextra = 10\n", 18, conf_path, &err),
        IDM_ECONFIG);
    assert_non_null(strstr(err.msg, ":2: [demo] extra: 10 is outside 0..9"));
    assert_null(conf);

    /* describe: registered sections first, in order, then base's own */
    text_out = describe();
    assert_non_null(strstr(text_out, "[demo]\n  name "));
    assert_non_null(strstr(text_out, "(default: 4096)"));
    /* the shared group once, the second component's keys after the
     * first's */
    assert_non_null(strstr(text_out, "(default: 4096)\n  extra "));
    assert_null(strstr(strstr(text_out, "[demo]") + 1, "[demo]"));
    assert_true(strstr(text_out, "[demo]") < strstr(text_out, "[log]"));
    assert_true(strstr(text_out, "[log]") < strstr(text_out, "[database]"));
    /* base owns no [idp] (the web layer and saml-bridge do) */
    assert_null(strstr(text_out, "[idp]"));
    free(text_out);

    g_remove(token);
    g_rmdir(dir);
    g_free(sub);
    g_free(token);
    g_free(conf_path);
    g_free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_registry),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
