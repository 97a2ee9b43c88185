/* SPDX-License-Identifier: EUPL-1.2
 * Benchmark of a running idmd over HTTP/1.1 keep-alive (plain sockets):
 * SSO with an existing session (idmd CPU per signed Response next to the
 * RSA sign rate; on shared cores, then with idmd alone on CPU 0 and
 * PostgreSQL and this client on the others), latency at half the peak
 * rate, password logins next to the raw Argon2id rate at the configured
 * parameters, and idmd's resident memory after many sessions. Every
 * figure is printed with its reference.
 * Driven by tests/bench/saml/run, which starts PostgreSQL and idmd.
 */
#define _GNU_SOURCE /* sched_setaffinity, CPU_SET */
#include <argon2.h>
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <zlib.h>

#include "base/conf.h"
#include "conf_sections.h"
#include "idm/conf.h"
#include "web/conf.h"

#define RAW_SECONDS 3.0
#define RESP_MAX (4 * 1024 * 1024) /* largest response body we accept */
#define THREADS_MAX 64

typedef struct opts {
    const char *config, *base, *sp, *acs, *login, *password;
    const char *logins[THREADS_MAX]; /* one account per connection: logins
                                      * to one account are serialised */
    int nlogins, port, pid, pg_pid, conns, sessions;
    double seconds, rsa_sign_rate;
    int rsa_bits; /* of the IdP's signing key */
} opts;

/* One keep-alive connection and its last response. */
typedef struct hconn {
    int fd;
    char *buf;       /* headers + body of the last response */
    size_t len, cap; /* bytes read, allocated */
    size_t head_len; /* end of the headers in buf */
    size_t body_len;
    int status;
    int close_after; /* the server said Connection: close */
} hconn;

static opts o;
static char cookie_b[64], cookie_s[64], csrf[128];

/* ---- time, /proc ---- */

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void sleep_until(double t)
{
    double d = t - now_s();
    struct timespec ts;

    if (d <= 0) {
        return;
    }
    ts.tv_sec = (time_t)d;
    ts.tv_nsec = (long)((d - (double)ts.tv_sec) * 1e9);
    nanosleep(&ts, NULL);
}

/* utime + stime of a process (all its threads), in seconds. */
static double proc_cpu(int pid)
{
    char path[64], line[1024], *p;
    unsigned long ut = 0, st = 0;
    FILE *fp;

    snprintf(path, sizeof(path), "/proc/%d/stat", pid);
    fp = fopen(path, "r");
    if (fp == NULL) {
        return 0;
    }
    if (fgets(line, sizeof(line), fp) != NULL &&
        (p = strrchr(line, ')')) != NULL) {
        /* after "pid (comm)": state is field 3, utime 14, stime 15 */
        sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu",
               &ut, &st);
    }
    fclose(fp);
    return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

/* fn(pid, arg) for the postmaster and each of its children. */
static void pg_each(int postmaster, void (*fn)(int, void *), void *arg)
{
    char path[300], line[1024], *p;
    struct dirent *de;
    DIR *d;
    FILE *fp;

    if (postmaster <= 0 || (d = opendir("/proc")) == NULL) {
        return;
    }
    while ((de = readdir(d)) != NULL) {
        int pid = atoi(de->d_name), ppid = 0;
        if (pid <= 0) {
            continue;
        }
        snprintf(path, sizeof(path), "/proc/%d/stat", pid);
        fp = fopen(path, "r");
        if (fp == NULL) {
            continue;
        }
        if (fgets(line, sizeof(line), fp) != NULL &&
            (p = strrchr(line, ')')) != NULL) {
            sscanf(p + 2, "%*c %d", &ppid);
        }
        fclose(fp);
        if (ppid == postmaster || pid == postmaster) {
            fn(pid, arg);
        }
    }
    closedir(d);
}

static void add_cpu(int pid, void *total)
{
    *(double *)total += proc_cpu(pid);
}

/* CPU of the PostgreSQL backends: the children of the postmaster. */
static double pg_cpu(int postmaster)
{
    double total = 0;

    pg_each(postmaster, add_cpu, &total);
    return total;
}

/* Every thread of process pid onto the CPUs of mask (threads started
 * later inherit it from their creator). */
static void pin(int pid, void *mask)
{
    char path[64];
    struct dirent *de;
    DIR *d;

    snprintf(path, sizeof(path), "/proc/%d/task", pid);
    if ((d = opendir(path)) == NULL) {
        return;
    }
    while ((de = readdir(d)) != NULL) {
        int tid = atoi(de->d_name);
        if (tid > 0) {
            sched_setaffinity(tid, sizeof(cpu_set_t), mask);
        }
    }
    closedir(d);
}

/* Whether every thread of idmd may run on exactly the CPUs of mask. */
static int idmd_on(const cpu_set_t *mask)
{
    char path[64];
    struct dirent *de;
    cpu_set_t m;
    int ok = 1;
    DIR *d;

    snprintf(path, sizeof(path), "/proc/%d/task", o.pid);
    if ((d = opendir(path)) == NULL) {
        return 0;
    }
    while ((de = readdir(d)) != NULL) {
        int tid = atoi(de->d_name);
        if (tid > 0 && (sched_getaffinity(tid, sizeof(m), &m) != 0 ||
                        !CPU_EQUAL(&m, mask))) {
            ok = 0;
        }
    }
    closedir(d);
    return ok;
}

/* idmd onto the first CPU this benchmark may use, PostgreSQL and this
 * process (the threads it starts next) onto the others; 0 if done. */
static int place_apart(const cpu_set_t *allowed)
{
    cpu_set_t one, rest = *allowed;
    int first = -1;

    for (int i = 0; i < CPU_SETSIZE && first < 0; i++) {
        if (CPU_ISSET(i, allowed)) {
            first = i;
        }
    }
    if (first < 0 || CPU_COUNT(allowed) < 2) {
        return -1;
    }
    CPU_ZERO(&one);
    CPU_SET(first, &one);
    CPU_CLR(first, &rest);
    pin(o.pid, &one);
    pg_each(o.pg_pid, pin, &rest);
    if (sched_setaffinity(0, sizeof(rest), &rest) != 0 || !idmd_on(&one)) {
        return -1;
    }
    return first;
}

/* Everything back onto the CPUs it had. */
static void place_together(cpu_set_t *allowed)
{
    pin(o.pid, allowed);
    pg_each(o.pg_pid, pin, allowed);
    sched_setaffinity(0, sizeof(*allowed), allowed);
}

static long proc_status_kib(int pid, const char *key)
{
    char path[64], line[256];
    size_t klen = strlen(key);
    long v = -1;
    FILE *fp;

    snprintf(path, sizeof(path), "/proc/%d/status", pid);
    fp = fopen(path, "r");
    if (fp == NULL) {
        return -1;
    }
    while (fgets(line, sizeof(line), fp) != NULL) {
        if (strncmp(line, key, klen) == 0 && line[klen] == ':') {
            v = atol(line + klen + 1);
        }
    }
    fclose(fp);
    return v;
}

/* ---- HTTP/1.1 client ---- */

static int hc_connect(hconn *c)
{
    struct sockaddr_in sin;
    int one = 1;

    c->fd = socket(AF_INET, SOCK_STREAM, 0);
    if (c->fd < 0) {
        return -1;
    }
    memset(&sin, 0, sizeof(sin));
    sin.sin_family = AF_INET;
    sin.sin_port = htons((uint16_t)o.port);
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    if (connect(c->fd, (struct sockaddr *)&sin, sizeof(sin)) != 0) {
        close(c->fd);
        c->fd = -1;
        return -1;
    }
    return 0;
}

static void hc_close(hconn *c)
{
    if (c->fd >= 0) {
        close(c->fd);
    }
    c->fd = -1;
}

static int send_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR) {
            continue;
        }
        if (w <= 0) {
            return -1;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

static int fill(hconn *c)
{
    ssize_t r;

    if (c->cap - c->len < 16384) {
        if (c->cap > RESP_MAX) {
            return -1;
        }
        c->cap = c->cap == 0 ? 65536 : c->cap * 2;
        c->buf = realloc(c->buf, c->cap + 1);
        if (c->buf == NULL) {
            abort();
        }
    }
    do {
        r = recv(c->fd, c->buf + c->len, c->cap - c->len, 0);
    } while (r < 0 && errno == EINTR);
    if (r <= 0) {
        return -1;
    }
    c->len += (size_t)r;
    c->buf[c->len] = '\0';
    return 0;
}

/* Value of header NAME in the last response (first match), or NULL. */
static const char *hc_header(const hconn *c, const char *name, size_t *len)
{
    size_t nl = strlen(name);
    const char *p = strstr(c->buf, "\r\n");

    while (p != NULL && (size_t)(p - c->buf) + 2 < c->head_len) {
        const char *line = p + 2, *end = strstr(line, "\r\n");
        if (end == NULL) {
            break;
        }
        if (strncasecmp(line, name, nl) == 0 && line[nl] == ':') {
            line += nl + 1;
            while (*line == ' ') {
                line++;
            }
            *len = (size_t)(end - line);
            return line;
        }
        p = end;
    }
    return NULL;
}

/* One request and its response; reconnects once if the kept-alive
 * connection was closed. 0, or -1 on a transport error. */
static int hc_request(hconn *c, const char *method, const char *target,
                      const char *body)
{
    char head[512];
    const char *cl;
    size_t n, vlen;
    int tries = 0, hl;

again:
    if (c->fd < 0 && hc_connect(c) != 0) {
        return -1;
    }
    /* the target may be long (a Redirect binding URL): send it apart */
    n = strlen(method);
    if (send_all(c->fd, method, n) != 0 || send_all(c->fd, " ", 1) != 0 ||
        send_all(c->fd, target, strlen(target)) != 0) {
        goto retry;
    }
    hl = snprintf(head, sizeof(head),
                  " HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n"
                  "Cookie: idm_b=%s%s%s\r\n",
                  o.port, cookie_b, cookie_s[0] != '\0' ? "; idm_s=" : "",
                  cookie_s);
    if (send_all(c->fd, head, (size_t)hl) != 0) {
        goto retry;
    }
    if (body != NULL) {
        hl = snprintf(head, sizeof(head),
                      "Content-Type: application/x-www-form-urlencoded\r\n"
                      "Content-Length: %zu\r\n\r\n",
                      strlen(body));
        if (send_all(c->fd, head, (size_t)hl) != 0 ||
            send_all(c->fd, body, strlen(body)) != 0) {
            goto retry;
        }
    } else if (send_all(c->fd, "\r\n", 2) != 0) {
        goto retry;
    }
    c->len = 0;
    c->head_len = 0;
    while (c->head_len == 0) {
        char *e;
        if (fill(c) != 0) {
            goto retry;
        }
        e = strstr(c->buf, "\r\n\r\n");
        if (e != NULL) {
            c->head_len = (size_t)(e - c->buf) + 4;
        }
    }
    c->status = atoi(c->buf + 9);
    cl = hc_header(c, "Content-Length", &vlen);
    c->body_len = cl != NULL ? (size_t)atol(cl) : 0;
    cl = hc_header(c, "Connection", &vlen);
    c->close_after = cl != NULL && strncasecmp(cl, "close", 5) == 0;
    while (c->len < c->head_len + c->body_len) {
        if (fill(c) != 0) {
            return -1;
        }
    }
    if (c->close_after) {
        hc_close(c);
    }
    return 0;
retry:
    hc_close(c);
    if (++tries < 2) {
        goto again;
    }
    return -1;
}

static const char *hc_body(const hconn *c)
{
    return c->buf + c->head_len;
}

/* ---- AuthnRequests, built once per phase ---- */

static char *url_encode(const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    char *out = malloc(strlen(s) * 3 + 1), *p = out;

    if (out == NULL) {
        abort();
    }
    for (; *s != '\0'; s++) {
        unsigned char ch = (unsigned char)*s;
        if ((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
            (ch >= '0' && ch <= '9') || ch == '-' || ch == '_' || ch == '.') {
            *p++ = (char)ch;
        } else {
            *p++ = '%';
            *p++ = hex[ch >> 4];
            *p++ = hex[ch & 15];
        }
    }
    *p = '\0';
    return out;
}

/* "/saml/sso?SAMLRequest=..." for an unsigned HTTP-Redirect request. */
static char *authn_request_url(long serial)
{
    char xml[2048], instant[32], *b64, *enc, *url;
    unsigned char raw[2048];
    time_t t = time(NULL);
    struct tm tm;
    /* one deflate state per thread, reset per request: deflateInit2 at
     * level 9 allocates and clears ~300 KiB, which made building a phase's
     * requests take longer than the phase */
    static _Thread_local z_stream z;
    static _Thread_local int z_ready;
    int n;

    gmtime_r(&t, &tm);
    strftime(instant, sizeof(instant), "%Y-%m-%dT%H:%M:%SZ", &tm);
    n = snprintf(
        xml, sizeof(xml),
        "<samlp:AuthnRequest "
        "xmlns:samlp=\"urn:oasis:names:tc:SAML:2.0:protocol\" "
        "xmlns:saml=\"urn:oasis:names:tc:SAML:2.0:assertion\" "
        "ID=\"_bench%ld_%08lx\" Version=\"2.0\" IssueInstant=\"%s\" "
        "Destination=\"%s/saml/sso\" AssertionConsumerServiceURL=\"%s\" "
        "ProtocolBinding=\"urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST\">"
        "<saml:Issuer>%s</saml:Issuer><samlp:NameIDPolicy "
        "Format=\"urn:oasis:names:tc:SAML:2.0:nameid-format:persistent\" "
        "AllowCreate=\"true\"/></samlp:AuthnRequest>",
        serial, (unsigned long)getpid(), instant, o.base, o.acs, o.sp);
    /* SAML bindings 3.4.4.1: raw DEFLATE, no zlib header */
    if (n <= 0 || (size_t)n >= sizeof(xml) ||
        (!z_ready && deflateInit2(&z, Z_BEST_COMPRESSION, Z_DEFLATED, -15, 8,
                                  Z_DEFAULT_STRATEGY) != Z_OK) ||
        (z_ready && deflateReset(&z) != Z_OK)) {
        abort();
    }
    z_ready = 1;
    z.next_in = (unsigned char *)xml;
    z.avail_in = (unsigned)n;
    z.next_out = raw;
    z.avail_out = sizeof(raw);
    if (deflate(&z, Z_FINISH) != Z_STREAM_END) {
        abort();
    }
    b64 = malloc(4 * ((z.total_out + 2) / 3) + 1);
    if (b64 == NULL) {
        abort();
    }
    EVP_EncodeBlock((unsigned char *)b64, raw, (int)z.total_out);
    enc = url_encode(b64);
    url = malloc(strlen(enc) + 64);
    if (url == NULL) {
        abort();
    }
    sprintf(url, "/saml/sso?SAMLRequest=%s&RelayState=bench", enc);
    free(enc);
    free(b64);
    return url;
}

typedef struct reqset {
    char **url;
    long n;
    atomic_long next;
} reqset;

static void reqset_build(reqset *rs, long n)
{
    static long serial;

    rs->url = malloc((size_t)n * sizeof(*rs->url));
    if (rs->url == NULL) {
        abort();
    }
    for (long i = 0; i < n; i++) {
        rs->url[i] = authn_request_url(serial++);
    }
    rs->n = n;
    atomic_init(&rs->next, 0);
}

static void reqset_free(reqset *rs)
{
    for (long i = 0; i < rs->n; i++) {
        free(rs->url[i]);
    }
    free(rs->url);
}

/* ---- phases ---- */

typedef struct worker {
    pthread_t tid;
    reqset *rs;
    double end;      /* stop at this time */
    double interval; /* paced: seconds between requests; 0 = flat out */
    double start;    /* paced: first scheduled send */
    long ok, bad;
    double *lat; /* paced: latencies in seconds */
    long nlat, caplat;
    long logins;       /* login phase: requests to make */
    const char *login; /* login phase: the account */
} worker;

static void *sso_worker(void *p)
{
    worker *w = p;
    hconn c = {.fd = -1};

    for (long k = 0;; k++) {
        double t0 = now_s(), sched = t0, t1;
        long i;

        if (w->interval > 0) {
            sched = w->start + (double)k * w->interval;
            if (sched >= w->end) {
                break;
            }
            sleep_until(sched);
        } else if (t0 >= w->end) {
            break;
        }
        i = atomic_fetch_add(&w->rs->next, 1);
        if (i >= w->rs->n) {
            break;
        }
        if (hc_request(&c, "GET", w->rs->url[i], NULL) == 0 &&
            c.status == 200 && strstr(hc_body(&c), "SAMLResponse") != NULL) {
            w->ok++;
        } else {
            w->bad++;
        }
        t1 = now_s();
        if (w->lat != NULL && w->nlat < w->caplat) {
            /* from the scheduled time: a late send counts as latency */
            w->lat[w->nlat++] = t1 - sched;
        }
    }
    hc_close(&c);
    free(c.buf);
    return NULL;
}

static void *login_worker(void *p)
{
    worker *w = p;
    hconn c = {.fd = -1};
    char *body, *l = url_encode(w->login), *pw = url_encode(o.password);

    body = malloc(strlen(l) + strlen(pw) + strlen(csrf) + 64);
    if (body == NULL) {
        abort();
    }
    sprintf(body, "csrf=%s&login=%s&password=%s", csrf, l, pw);
    for (long k = 0; k < w->logins; k++) {
        size_t vlen;
        if (hc_request(&c, "POST", "/login", body) == 0 && c.status == 303 &&
            hc_header(&c, "Set-Cookie", &vlen) != NULL) {
            w->ok++;
        } else {
            w->bad++;
        }
    }
    hc_close(&c);
    free(c.buf);
    free(body);
    free(l);
    free(pw);
    return NULL;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void *raw_worker(void *p)
{
    const idm_conf *conf = ((void **)p)[0];
    long *n = ((void **)p)[1];
    const idm_password_conf *pc = idm_password_conf_get(conf);
    unsigned char salt[16] = "benchmark-salt!", hash[32];
    double end = now_s() + RAW_SECONDS;

    while (now_s() < end) {
        argon2id_hash_raw(pc->argon2_iterations, pc->argon2_memory_kib,
                          pc->argon2_parallelism, "password-12345", 14, salt,
                          sizeof(salt), hash, sizeof(hash));
        (*n)++;
    }
    return NULL;
}

static double raw_argon2_rate(const idm_conf *conf, int threads)
{
    pthread_t tid[THREADS_MAX];
    long n[THREADS_MAX] = {0}, total = 0;
    void *args[THREADS_MAX][2];
    double t0 = now_s();

    for (int i = 0; i < threads; i++) {
        args[i][0] = (void *)(uintptr_t)conf;
        args[i][1] = &n[i];
        pthread_create(&tid[i], NULL, raw_worker, args[i]);
    }
    for (int i = 0; i < threads; i++) {
        pthread_join(tid[i], NULL);
        total += n[i];
    }
    return (double)total / (now_s() - t0);
}

/* Cookie NAME from the Set-Cookie headers of the last response. */
static int take_cookie(char *out, size_t size, const hconn *c, const char *name)
{
    char pat[32];
    const char *p;
    size_t n;

    snprintf(pat, sizeof(pat), "Set-Cookie: %s=", name);
    p = strstr(c->buf, pat);
    if (p == NULL || p > c->buf + c->head_len) {
        return -1;
    }
    p += strlen(pat);
    n = strcspn(p, ";\r");
    if (n == 0 || n >= size) {
        return -1;
    }
    memcpy(out, p, n);
    out[n] = '\0';
    return 0;
}

/* A browser: the idm_b cookie and its CSRF token, then a session. */
static int setup(void)
{
    hconn c = {.fd = -1};
    char body[512], *l = url_encode(o.login), *pw = url_encode(o.password);
    const char *p;
    size_t n;
    int rc = -1;

    if (hc_request(&c, "GET", "/login", NULL) != 0 ||
        take_cookie(cookie_b, sizeof(cookie_b), &c, "idm_b") != 0 ||
        (p = strstr(hc_body(&c), "name=\"csrf\" value=\"")) == NULL) {
        fprintf(stderr, "bench_saml: no login page with a CSRF token\n");
        goto cleanup;
    }
    p += strlen("name=\"csrf\" value=\"");
    n = strcspn(p, "\"");
    if (n >= sizeof(csrf)) {
        goto cleanup;
    }
    memcpy(csrf, p, n);
    csrf[n] = '\0';
    snprintf(body, sizeof(body), "csrf=%s&login=%s&password=%s", csrf, l, pw);
    if (hc_request(&c, "POST", "/login", body) != 0 || c.status != 303 ||
        take_cookie(cookie_s, sizeof(cookie_s), &c, "idm_s") != 0) {
        fprintf(stderr, "bench_saml: login failed (HTTP %d)\n", c.status);
        goto cleanup;
    }
    rc = 0;
cleanup:
    hc_close(&c);
    free(c.buf);
    free(l);
    free(pw);
    return rc;
}

/* Run n workers on fn; returns elapsed seconds. */
static double run_workers(worker *w, int n, void *(*fn)(void *))
{
    double t0 = now_s();

    for (int i = 0; i < n; i++) {
        pthread_create(&w[i].tid, NULL, fn, &w[i]);
    }
    for (int i = 0; i < n; i++) {
        pthread_join(w[i].tid, NULL);
    }
    return now_s() - t0;
}

static void usage(void)
{
    fprintf(stderr, "usage: bench_saml --config FILE --port N --pid IDMD_PID "
                    "--sp ENTITY --acs URL\n"
                    "       --login L [--login L2 ...] --password P "
                    "--rsa-sign-rate R [--pg-pid PID]\n"
                    "       [--rsa-bits N] [--conns N] [--seconds S] "
                    "[--sessions N]\n");
}

static int parse_args(int argc, char **argv)
{
    static const struct option lo[] = {
        {"config", required_argument, NULL, 'c'},
        {"port", required_argument, NULL, 'P'},
        {"pid", required_argument, NULL, 'i'},
        {"pg-pid", required_argument, NULL, 'g'},
        {"sp", required_argument, NULL, 's'},
        {"acs", required_argument, NULL, 'a'},
        {"login", required_argument, NULL, 'l'},
        {"password", required_argument, NULL, 'w'},
        {"rsa-sign-rate", required_argument, NULL, 'r'},
        {"rsa-bits", required_argument, NULL, 'b'},
        {"conns", required_argument, NULL, 'n'},
        {"seconds", required_argument, NULL, 't'},
        {"sessions", required_argument, NULL, 'S'},
        {NULL, 0, NULL, 0},
    };
    int opt;

    o.conns = 2 * (int)sysconf(_SC_NPROCESSORS_ONLN);
    o.rsa_bits = 3072;
    o.seconds = 10;
    o.sessions = 10000;
    while ((opt = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        switch (opt) {
        case 'c':
            o.config = optarg;
            break;
        case 'P':
            o.port = atoi(optarg);
            break;
        case 'i':
            o.pid = atoi(optarg);
            break;
        case 'g':
            o.pg_pid = atoi(optarg);
            break;
        case 's':
            o.sp = optarg;
            break;
        case 'a':
            o.acs = optarg;
            break;
        case 'l':
            if (o.nlogins == THREADS_MAX) {
                return -1;
            }
            o.logins[o.nlogins++] = optarg;
            o.login = o.logins[0];
            break;
        case 'w':
            o.password = optarg;
            break;
        case 'r':
            o.rsa_sign_rate = atof(optarg);
            break;
        case 'b':
            o.rsa_bits = atoi(optarg);
            break;
        case 'n':
            o.conns = atoi(optarg);
            break;
        case 't':
            o.seconds = atof(optarg);
            break;
        case 'S':
            o.sessions = atoi(optarg);
            break;
        default:
            return -1;
        }
    }
    if (o.config == NULL || o.port <= 0 || o.pid <= 0 || o.sp == NULL ||
        o.acs == NULL || o.login == NULL || o.password == NULL ||
        o.rsa_sign_rate <= 0 || o.conns < 1 || o.conns > THREADS_MAX ||
        o.seconds <= 0 || o.sessions < 1) {
        return -1;
    }
    return 0;
}

/* Phase (a): SSO requests with a session, flat out for o.seconds, and
 * idmd's CPU per response against the RSA sign rate. alone_on >= 0: idmd
 * runs on that CPU only and PostgreSQL and this client on the others
 * (place_apart()), as openssl speed had its core to itself; -1: all share
 * the ncpu cores. */
static int sso_flat_out(worker *w, int ncpu, int alone_on, double *peak,
                        double *cpu_ms)
{
    reqset rs;
    double cpu0, cpu1, pg0, pg1, el, per_core;
    long ok = 0, bad = 0;

    /* more than idmd can answer in o.seconds (RSA 3072 on 2 cores: ~1,200
     * per second); a worker that runs out stops early, which the rate
     * accounts for */
    reqset_build(&rs, (long)(o.seconds * 4000.0) + 1000);
    memset(w, 0, THREADS_MAX * sizeof(*w));
    for (int i = 0; i < o.conns; i++) {
        w[i].rs = &rs;
        w[i].end = now_s() + o.seconds;
    }
    cpu0 = proc_cpu(o.pid);
    pg0 = pg_cpu(o.pg_pid);
    el = run_workers(w, o.conns, sso_worker);
    cpu1 = proc_cpu(o.pid);
    pg1 = pg_cpu(o.pg_pid);
    for (int i = 0; i < o.conns; i++) {
        ok += w[i].ok;
        bad += w[i].bad;
    }
    reqset_free(&rs);
    if (ok == 0) {
        fprintf(stderr, "bench_saml: no SSO request succeeded (%ld failed)\n",
                bad);
        return -1;
    }
    *peak = (double)ok / el;
    *cpu_ms = (cpu1 - cpu0) * 1000.0 / (double)ok;
    per_core = 1000.0 / *cpu_ms;
    if (alone_on >= 0) {
        printf("(a) SSO with a session, idmd alone on CPU %d (PostgreSQL and "
               "this client on the other %d): %ld signed responses in %.1f s "
               "(%ld failed)\n",
               alone_on, ncpu - 1, ok, el, bad);
        printf("    throughput (wall, idmd on 1 core): %.1f responses/s\n",
               *peak);
    } else {
        printf("(a) SSO with a session: %ld signed responses in %.1f s "
               "(%ld failed)\n",
               ok, el, bad);
        printf("    throughput (wall, %d cores shared with PostgreSQL and "
               "this client): %.1f responses/s\n",
               ncpu, *peak);
    }
    printf("    idmd CPU per response: %.2f ms; PostgreSQL CPU per response: "
           "%.2f ms\n",
           *cpu_ms, (pg1 - pg0) * 1000.0 / (double)ok);
    printf("    responses/s per idmd core: %.1f   reference: RSA %d sign/s "
           "%.1f   ratio %.3f (ceiling 1.0: one signature; target >= "
           "0.9)\n\n",
           per_core, o.rsa_bits, o.rsa_sign_rate, per_core / o.rsa_sign_rate);
    return 0;
}

int main(int argc, char **argv)
{
    idm_conf *conf = NULL;
    idm_err err = IDM_ERR_INIT;
    worker w[THREADS_MAX];
    reqset rs;
    int ncpu = (int)sysconf(_SC_NPROCESSORS_ONLN), n = 0;
    double el, peak, cpu_ms, raw, raw2, target;
    cpu_set_t allowed;
    double *all;
    long ok = 0, bad = 0, nlat = 0, rss0, rss1, hwm, per;

    setvbuf(stdout, NULL, _IOLBF, 0); /* progress shows when piped */
    if (parse_args(argc, argv) != 0) {
        usage();
        return 2;
    }
    if (prog_conf_register("bench_saml") != 0) {
        return 1;
    }
    if (idm_conf_load(&conf, o.config, &err) != 0) {
        fprintf(stderr, "bench_saml: %s\n", err.msg);
        return 1;
    }
    o.base = web_conf_get(conf)->base_url;
    if (setup() != 0) {
        return 1;
    }
    rss0 = proc_status_kib(o.pid, "VmRSS");
    printf("idmd pid %d, %d HTTP connections, %d cores; RSA %d sign/s "
           "(openssl speed, 1 core): %.1f\n\n",
           o.pid, o.conns, ncpu, o.rsa_bits, o.rsa_sign_rate);

    /* (a) SSO with an existing session, flat out: on shared cores, then
     * with idmd on a core of its own */
    if (sso_flat_out(w, ncpu, -1, &peak, &cpu_ms) != 0) {
        return 1;
    }
    if (o.pg_pid > 0 && sched_getaffinity(0, sizeof(allowed), &allowed) == 0) {
        double peak1, cpu_ms1;
        int cpu = place_apart(&allowed);

        n = cpu >= 0
                ? sso_flat_out(w, CPU_COUNT(&allowed), cpu, &peak1, &cpu_ms1)
                : 0;
        place_together(&allowed);
        if (cpu < 0) {
            printf("(a) idmd alone on a core: not measured (fewer than two "
                   "CPUs, or the threads could not be placed)\n\n");
        } else if (n != 0) {
            return 1;
        }
    }

    /* (c) latency at half the peak rate, paced (open loop per conn) */
    target = peak / 2;
    n = o.conns < 4 ? o.conns : 4;
    reqset_build(&rs, (long)(target * o.seconds) + 1000);
    memset(w, 0, sizeof(w));
    {
        double start = now_s() + 0.2, iv = (double)n / target;
        for (int i = 0; i < n; i++) {
            w[i].rs = &rs;
            w[i].interval = iv;
            w[i].start = start + iv * (double)i / (double)n;
            w[i].end = start + o.seconds;
            w[i].caplat = (long)(o.seconds / iv) + 16;
            w[i].lat = malloc((size_t)w[i].caplat * sizeof(double));
            if (w[i].lat == NULL) {
                abort();
            }
        }
    }
    el = run_workers(w, n, sso_worker);
    ok = bad = 0;
    for (int i = 0; i < n; i++) {
        nlat += w[i].nlat;
        ok += w[i].ok;
        bad += w[i].bad;
    }
    all = malloc((size_t)(nlat + 1) * sizeof(double));
    if (all == NULL) {
        abort();
    }
    nlat = 0;
    for (int i = 0; i < n; i++) {
        memcpy(all + nlat, w[i].lat, (size_t)w[i].nlat * sizeof(double));
        nlat += w[i].nlat;
        free(w[i].lat);
    }
    qsort(all, (size_t)nlat, sizeof(double), cmp_double);
    reqset_free(&rs);
    if (nlat > 0) {
        double p50 = all[nlat / 2] * 1000.0;
        double p99 = all[(long)((double)nlat * 0.99)] * 1000.0;
        printf("(c) latency at 50%% of peak: %.1f requests/s offered, %.1f "
               "completed (%ld failed)\n",
               target, (double)ok / (el - 0.2), bad);
        printf("    p50 %.2f ms, p99 %.2f ms   reference: idmd CPU per "
               "response %.2f ms   ratio p50 %.2f, p99 %.2f (target p99 "
               "<= 10)\n\n",
               p50, p99, cpu_ms, p50 / cpu_ms, p99 / cpu_ms);
    }
    free(all);

    /* (b) password logins; (d) memory after the sessions they create */
    raw = raw_argon2_rate(conf, ncpu);
    memset(w, 0, sizeof(w));
    per = o.sessions / o.conns;
    for (int i = 0; i < o.conns; i++) {
        w[i].logins = i == o.conns - 1 ? o.sessions - per * (o.conns - 1) : per;
        w[i].login = o.logins[i % o.nlogins];
    }
    el = run_workers(w, o.conns, login_worker);
    ok = bad = 0;
    for (int i = 0; i < o.conns; i++) {
        ok += w[i].ok;
        bad += w[i].bad;
    }
    /* the machine may be shared: measure the reference again, use both */
    raw2 = raw_argon2_rate(conf, ncpu);
    printf("    raw Argon2id hashes/s before %.1f, after %.1f\n", raw, raw2);
    raw = (raw + raw2) / 2;
    printf("(b) password logins: %ld in %.1f s (%ld failed) to %d accounts; "
           "Argon2id m=%u KiB t=%u p=%u\n",
           ok, el, bad, o.nlogins < o.conns ? o.nlogins : o.conns,
           idm_password_conf_get(conf)->argon2_memory_kib,
           idm_password_conf_get(conf)->argon2_iterations,
           idm_password_conf_get(conf)->argon2_parallelism);
    printf("    logins/s %.1f   reference: raw Argon2id hashes/s on %d "
           "threads %.1f (mean)   ratio %.3f (target >= 0.8)\n\n",
           (double)ok / el, ncpu, raw, (double)ok / el / raw);
    rss1 = proc_status_kib(o.pid, "VmRSS");
    hwm = proc_status_kib(o.pid, "VmHWM");
    printf("(d) idmd VmRSS after %d more sessions: %.1f MiB (peak %.1f MiB)  "
           "reference: at start %.1f MiB; target < 100 MiB   ratio to "
           "target %.2f\n",
           o.sessions, (double)rss1 / 1024.0, (double)hwm / 1024.0,
           (double)rss0 / 1024.0, (double)rss1 / 1024.0 / 100.0);
    idm_conf_free(conf);
    return bad == 0 ? 0 : 1;
}
