/* SPDX-License-Identifier: EUPL-1.2
 * Argon2id hashing and verification through libargon2; random salts and
 * passwords from OpenSSL's CSPRNG.
 */
#include <argon2.h>
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <pwquality.h>
#include <glib.h>

#include "core_int.h"
#include "idm/password.h"

#define SALT_LEN 16
#define HASH_LEN 32

/* At most one Argon2id computation per core at a time: each holds its
 * memory cost (19 MiB by default) and a second one per core adds memory,
 * not speed. A burst of logins (idmd serves a thread per connection)
 * queues here instead of growing the process by 19 MiB per login. */
static sem_t slots;
static pthread_once_t slots_once = PTHREAD_ONCE_INIT;

static void slots_init(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);

    if (sem_init(&slots, 0, n > 0 ? (unsigned)n : 1) != 0) {
        abort(); /* only fails for a count above SEM_VALUE_MAX */
    }
}

static void slot_take(void)
{
    pthread_once(&slots_once, slots_init);
    while (sem_wait(&slots) != 0 && errno == EINTR) {
    }
}

static void slot_give(void)
{
    sem_post(&slots);
}

/* No 0/O, 1/l/I: passwords are read off paper letters. */
static const char alphabet[] = "abcdefghijkmnopqrstuvwxyz"
                               "ABCDEFGHJKLMNPQRSTUVWXYZ"
                               "23456789";

int idm_password_hash(char **out, const idm_argon2_params *params,
                      const char *password, idm_err *err)
{
    unsigned char salt[SALT_LEN];
    size_t pwlen = strlen(password);
    size_t enclen;
    char *encoded = NULL;
    int arc, rc = 0;

    *out = NULL;
    if (pwlen == 0 || pwlen > IDM_PASSWORD_MAX_LEN) {
        return idm_err_set(err, IDM_EINVAL,
                           "password must be 1 to %d bytes long",
                           IDM_PASSWORD_MAX_LEN);
    }
    if (RAND_bytes(salt, sizeof(salt)) != 1) {
        return idm_err_set(err, IDM_EINTERNAL, "no random bytes available");
    }
    enclen =
        argon2_encodedlen(params->iterations, params->memory_kib,
                          params->parallelism, SALT_LEN, HASH_LEN, Argon2_id);
    encoded = idm_xmalloc(enclen);
    slot_take();
    arc = argon2id_hash_encoded(params->iterations, params->memory_kib,
                                params->parallelism, password, pwlen, salt,
                                SALT_LEN, HASH_LEN, encoded, enclen);
    slot_give();
    if (arc != ARGON2_OK) {
        rc = idm_err_set(err, IDM_EINTERNAL, "password hashing failed");
        idm_err_detail(err, "argon2: %s", argon2_error_message(arc));
        goto cleanup;
    }
    *out = encoded;
    encoded = NULL;
cleanup:
    free(encoded);
    OPENSSL_cleanse(salt, sizeof(salt));
    return rc;
}

/* Parse an unsigned decimal (digits only) at *p; advance past it. */
static int take_uint(const char **p, uint32_t *out)
{
    uint64_t v = 0;
    size_t n = 0;

    while (idm_digits(*p + n, 1) && n < 10) {
        v = v * 10 + (uint64_t)((*p)[n] - '0');
        n++;
    }
    if (n == 0 || v > UINT32_MAX || idm_digits(*p + n, 1)) {
        return IDM_EINVAL;
    }
    *p += n;
    *out = (uint32_t)v;
    return 0;
}

static int take(const char **p, const char *lit)
{
    size_t n = strlen(lit);

    if (strncmp(*p, lit, n) != 0) {
        return IDM_EINVAL;
    }
    *p += n;
    return 0;
}

/* Length of a run of unpadded base64 characters. */
static size_t b64_span(const char *p)
{
    return strspn(p, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                     "0123456789+/");
}

/*
 * Strict PHC parse of "$argon2id$v=19$m=M,t=T,p=P$SALT$HASH": digits only
 * (sscanf would take signs and blanks), salt and hash present.
 */
int idm_password_params(idm_argon2_params *out, const char *encoded)
{
    const char *p = encoded;
    uint32_t v, m, t, par;
    size_t salt, hash;

    if (p == NULL || take(&p, "$argon2id$v=") != 0 || take_uint(&p, &v) != 0 ||
        v != ARGON2_VERSION_13 || take(&p, "$m=") != 0 ||
        take_uint(&p, &m) != 0 || take(&p, ",t=") != 0 ||
        take_uint(&p, &t) != 0 || take(&p, ",p=") != 0 ||
        take_uint(&p, &par) != 0 || take(&p, "$") != 0) {
        return IDM_EINVAL;
    }
    salt = b64_span(p);
    /* unpadded base64 never has a length of 1 modulo 4 */
    if (salt < 11 || salt % 4 == 1 || p[salt] != '$') { /* >= 8 bytes */
        return IDM_EINVAL;
    }
    p += salt + 1;
    hash = b64_span(p);
    if (hash < 16 || hash % 4 == 1 || p[hash] != '\0') { /* >= 12 bytes */
        return IDM_EINVAL;
    }
    out->memory_kib = m;
    out->iterations = t;
    out->parallelism = par;
    return 0;
}

int idm_password_verify(const char *encoded, const char *password, idm_err *err)
{
    idm_argon2_params params;
    size_t pwlen = strlen(password);
    int arc;

    if (idm_password_params(&params, encoded) != 0) {
        return idm_err_set(err, IDM_EINVAL,
                           "stored password hash is "
                           "malformed");
    }
    if (pwlen > IDM_PASSWORD_MAX_LEN) {
        return idm_err_set(err, IDM_EAUTH, "wrong password");
    }
    /* argon2_verify compares the digests in constant time. */
    slot_take();
    arc = argon2id_verify(encoded, password, pwlen);
    slot_give();
    if (arc == ARGON2_OK) {
        return 0;
    }
    if (arc == ARGON2_VERIFY_MISMATCH) {
        return idm_err_set(err, IDM_EAUTH, "wrong password");
    }
    idm_err_set(err, IDM_EINVAL, "stored password hash is malformed");
    idm_err_detail(err, "argon2: %s", argon2_error_message(arc));
    return IDM_EINVAL;
}

int idm_password_needs_rehash(const char *encoded,
                              const idm_argon2_params *params)
{
    idm_argon2_params have;

    if (idm_password_params(&have, encoded) != 0) {
        return 1;
    }
    return have.memory_kib != params->memory_kib ||
           have.iterations != params->iterations ||
           have.parallelism != params->parallelism;
}

void idm_password_dummy_verify(const idm_argon2_params *params,
                               const char *password)
{
    static const unsigned char salt[SALT_LEN] = "idm-dummy-salt!";
    unsigned char hash[HASH_LEN];
    size_t pwlen = strlen(password);

    if (pwlen > IDM_PASSWORD_MAX_LEN) {
        pwlen = IDM_PASSWORD_MAX_LEN;
    }
    slot_take();
    (void)argon2id_hash_raw(params->iterations, params->memory_kib,
                            params->parallelism, password, pwlen, salt,
                            SALT_LEN, hash, sizeof(hash));
    slot_give();
    OPENSSL_cleanse(hash, sizeof(hash));
}

/* 1 if c may follow prev: not the same character, not its neighbour in
 * ASCII ignoring case. cracklib counts such steps ("too simplistic/
 * systematic" beyond 3 + 0.09 per character: about 1 in 150 uniform
 * 16-character strings) and libpwquality counts runs and repeats; without
 * them a generated password passes idm_password_quality() too. */
static int may_follow(char prev, char c)
{
    int a = g_ascii_tolower(prev), b = g_ascii_tolower(c);

    return c != prev && a - b != 1 && b - a != 1;
}

int idm_password_generate(char **out, size_t len, idm_err *err)
{
    const size_t n = sizeof(alphabet) - 1;
    /* reject bytes >= limit so that every character is equally likely,
     * then characters that may not follow the one before */
    const unsigned limit = 256 - (256 % n);
    char *pw;
    size_t i = 0;

    *out = NULL;
    if (len < 8 || len > 128) {
        return idm_err_set(err, IDM_EINVAL, "password length out of range");
    }
    pw = idm_xmalloc(len + 1);
    while (i < len) {
        unsigned char buf[64];
        if (RAND_bytes(buf, sizeof(buf)) != 1) {
            idm_password_free(pw);
            return idm_err_set(err, IDM_EINTERNAL, "no random bytes available");
        }
        for (size_t j = 0; j < sizeof(buf) && i < len; j++) {
            char c = alphabet[buf[j] % n];
            if (buf[j] < limit && (i == 0 || may_follow(pw[i - 1], c))) {
                pw[i++] = c;
            }
        }
        OPENSSL_cleanse(buf, sizeof(buf));
    }
    pw[len] = '\0';
    *out = pw;
    return 0;
}

void idm_password_free(char *password)
{
    if (password != NULL) {
        OPENSSL_cleanse(password, strlen(password));
        free(password);
    }
}

/* What libpwquality found, in our terms. */
static idm_pw_problem pwq_problem(int code, const char *aux)
{
    switch (code) {
    case PWQ_ERROR_MIN_LENGTH:
    case PWQ_ERROR_EMPTY_PASSWORD:
        return IDM_PW_TOO_SHORT;
    case PWQ_ERROR_USER_CHECK:
    case PWQ_ERROR_GECOS_CHECK:
        return IDM_PW_CONTAINS_LOGIN;
    case PWQ_ERROR_BAD_WORDS:
        return IDM_PW_DICTIONARY;
    case PWQ_ERROR_CRACKLIB_CHECK:
        return aux != NULL && strstr(aux, "dictionary") != NULL
                   ? IDM_PW_DICTIONARY
                   : IDM_PW_SIMPLE;
    default:
        return IDM_PW_SIMPLE;
    }
}

/* German and English words for each problem (idm_pw_problem_text) */
static const struct {
    const char *de, *en;
} pw_problem_words[] = {
    [IDM_PW_OK] = {"in Ordnung", "ok"},
    [IDM_PW_NOT_UTF8] = {"kein gültiges UTF-8", "not valid UTF-8"},
    [IDM_PW_TOO_SHORT] = {"zu kurz", "too short"},
    [IDM_PW_TOO_LONG] = {"zu lang", "too long"},
    [IDM_PW_DICTIONARY] = {"beruht auf einem Wort oder einem bekannten "
                           "Passwort",
                           "based on a word or a common password"},
    [IDM_PW_SIMPLE] = {"zu einfach (Folgen, Wiederholungen, zu wenige "
                       "verschiedene Zeichen)",
                       "too simple (runs, repeats, few characters)"},
    [IDM_PW_CONTAINS_LOGIN] = {"enthält den Benutzernamen",
                               "contains the login"},
    [IDM_PW_SAME_AS_CURRENT] = {"gleicht dem bisherigen",
                                "same as the current one"},
    [IDM_PW_SAME_AS_INITIAL] = {"gleicht dem Anfangspasswort",
                                "same as the initial one"},
};

const char *idm_pw_problem_text(char *out, size_t size, idm_pw_problem problem,
                                int min_length, int english)
{
    const char *words;

    if ((int)problem < 0 || problem > IDM_PW_SAME_AS_INITIAL) {
        problem = IDM_PW_SIMPLE; /* never "ok" for a value we do not know */
    }
    words =
        english ? pw_problem_words[problem].en : pw_problem_words[problem].de;
    if (problem == IDM_PW_TOO_SHORT) {
        snprintf(out, size,
                 english ? "%s (at least %d characters)"
                         : "%s (mindestens %d Zeichen)",
                 words, min_length);
    } else if (problem == IDM_PW_TOO_LONG) {
        snprintf(out, size,
                 english ? "%s (at most %d bytes)" : "%s (höchstens %d Byte)",
                 words, IDM_PASSWORD_MAX_LEN);
    } else {
        snprintf(out, size, "%s", words);
    }
    return out;
}

int idm_password_quality(idm_pw_problem *out, const char *password,
                         int min_length, const char *login, idm_err *err)
{
    /* cracklib keeps state in statics: one check at a time */
    static GMutex lock;
    pwquality_settings_t *pwq = NULL;
    void *aux = NULL;
    char buf[256];
    int score, rc = 0;

    *out = IDM_PW_OK;
    if (!g_utf8_validate(password, -1, NULL)) {
        *out = IDM_PW_NOT_UTF8;
    } else if (g_utf8_strlen(password, -1) < min_length) {
        *out = IDM_PW_TOO_SHORT;
    } else if (strlen(password) > IDM_PASSWORD_MAX_LEN) {
        *out = IDM_PW_TOO_LONG;
    }
    if (*out != IDM_PW_OK) {
        return idm_err_set(
            err, IDM_EINVAL, "password: %s",
            idm_pw_problem_text(buf, sizeof(buf), *out, min_length, 1));
    }
    pwq = pwquality_default_settings();
    if (pwq == NULL) {
        return idm_err_set(err, IDM_EINTERNAL, "password check unavailable");
    }
    /* our own length rule counts characters; pwquality counts bytes with
     * credits, so it only gets the floor. System-wide pwquality.conf is
     * not read: the rules shown on the page must be the rules applied. */
    if (pwquality_set_int_value(pwq, PWQ_SETTING_MIN_LENGTH, 6) != 0 ||
        pwquality_set_int_value(pwq, PWQ_SETTING_MAX_SEQUENCE, 4) != 0 ||
        pwquality_set_int_value(pwq, PWQ_SETTING_MAX_REPEAT, 3) != 0 ||
        pwquality_set_int_value(pwq, PWQ_SETTING_DICT_CHECK, 1) != 0 ||
        pwquality_set_int_value(pwq, PWQ_SETTING_USER_CHECK, 1) != 0) {
        rc = idm_err_set(err, IDM_EINTERNAL, "password check unavailable");
        goto cleanup;
    }
    g_mutex_lock(&lock);
    score = pwquality_check(pwq, password, NULL, login, &aux);
    g_mutex_unlock(&lock);
    if (score >= 0) {
        goto cleanup;
    }
    if (score == PWQ_ERROR_CRACKLIB_CHECK && aux != NULL &&
        strstr(aux, "error loading") != NULL) {
        rc = idm_err_set(err, IDM_ECONFIG,
                         "password check unavailable: cracklib dictionary "
                         "missing (install cracklib-runtime)");
    } else if (score == PWQ_ERROR_MEM_ALLOC ||
               score == PWQ_ERROR_FATAL_FAILURE) {
        rc = idm_err_set(err, IDM_EINTERNAL, "password check failed");
    } else {
        *out = pwq_problem(score, aux);
        rc = idm_err_set(
            err, IDM_EINVAL, "password: %s",
            idm_pw_problem_text(buf, sizeof(buf), *out, min_length, 1));
    }
    /* frees what aux holds, for the codes that allocate it */
    pwquality_strerror(buf, sizeof(buf), score, aux);
cleanup:
    pwquality_free_settings(pwq);
    return rc;
}
