/* SPDX-License-Identifier: EUPL-1.2
 * A small pool of idm_db connections (each is single-threaded): a worker
 * borrows one for the length of a request. Broken connections are replaced
 * on the next borrow.
 */
#include <stdlib.h>

#include "web_int.h"

struct web_dbpool {
    const idm_conf *conf;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    idm_db **free_list; /* idle connections (NULL: not yet opened) */
    int n_free;
    int size;
    int in_use;
};

int web_dbpool_new(web_dbpool **out, const idm_conf *conf, int size,
                   idm_err *err)
{
    web_dbpool *p = idm_xcalloc(1, sizeof(*p));
    idm_db *db = NULL;
    int rc;

    *out = NULL;
    p->conf = conf;
    p->size = size < 1 ? 1 : size;
    p->free_list = idm_xcalloc((size_t)p->size, sizeof(idm_db *));
    p->n_free = p->size; /* opened lazily */
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->cond, NULL);
    /* fail early if the database is unreachable */
    rc = idm_db_open(&db, conf, err);
    if (rc != 0) {
        web_dbpool_free(p);
        return rc;
    }
    p->free_list[0] = db;
    *out = p;
    return 0;
}

void web_dbpool_free(web_dbpool *p)
{
    if (p == NULL) {
        return;
    }
    for (int i = 0; i < p->n_free; i++) {
        idm_db_close(p->free_list[i]);
    }
    free(p->free_list);
    pthread_mutex_destroy(&p->lock);
    pthread_cond_destroy(&p->cond);
    free(p);
}

int web_dbpool_get(idm_db **out, web_dbpool *p, idm_err *err)
{
    idm_db *db;
    int rc = 0;

    *out = NULL;
    pthread_mutex_lock(&p->lock);
    while (p->n_free == 0) {
        pthread_cond_wait(&p->cond, &p->lock);
    }
    db = p->free_list[--p->n_free];
    p->in_use++;
    pthread_mutex_unlock(&p->lock);
    if (db != NULL && PQstatus(idm_db_conn(db)) != CONNECTION_OK) {
        idm_db_close(db);
        db = NULL;
    }
    if (db == NULL) {
        rc = idm_db_open(&db, p->conf, err);
    }
    if (rc != 0) {
        web_dbpool_put(p, NULL);
        return rc;
    }
    *out = db;
    return 0;
}

void web_dbpool_put(web_dbpool *p, idm_db *db)
{
    if (db != NULL && idm_db_in_tx(db)) {
        /* a request left a transaction open: do not hand it on */
        idm_db_close(db);
        db = NULL;
    }
    pthread_mutex_lock(&p->lock);
    p->free_list[p->n_free++] = db;
    p->in_use--;
    pthread_cond_signal(&p->cond);
    pthread_mutex_unlock(&p->lock);
}

void web_dbpool_stats(web_dbpool *p, int *size, int *in_use)
{
    pthread_mutex_lock(&p->lock);
    *size = p->size;
    *in_use = p->in_use;
    pthread_mutex_unlock(&p->lock);
}
