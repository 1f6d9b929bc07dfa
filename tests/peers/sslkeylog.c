/*
 * sslkeylog.c - an LD_PRELOAD library that makes a program linked to OpenSSL 1.1.1 or later append its TLS secrets
 * to $SSLKEYLOGFILE in the NSS key log format, as browsers and rdphs probe --keylog do. FreeRDP 2 has no key log of
 * its own; the integration tests preload this into xfreerdp so that `rdphs analyze --keylog` can decrypt its captures.
 *
 *   gcc -shared -fPIC -o sslkeylog.so sslkeylog.c -ldl
 *   SSLKEYLOGFILE=keys.txt LD_PRELOAD=./sslkeylog.so xfreerdp ...
 *
 * Every SSL_new is intercepted: the context gets OpenSSL's own key log callback (SSL_CTX_set_keylog_callback), then
 * the real SSL_new runs. Test use only: the file holds the secrets of every connection the program makes.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>

typedef struct ssl_st SSL;
typedef struct ssl_ctx_st SSL_CTX;
typedef void (*keylog_callback)(const SSL *ssl, const char *line);

static void write_line(const SSL *ssl, const char *line)
{
    (void)ssl;
    const char *path = getenv("SSLKEYLOGFILE");
    if (path == NULL || *path == '\0')
        return;
    FILE *file = fopen(path, "a");
    if (file == NULL)
        return;
    fprintf(file, "%s\n", line);
    fclose(file);
}

SSL *SSL_new(SSL_CTX *ctx)
{
    static SSL *(*real_new)(SSL_CTX *);
    static void (*set_callback)(SSL_CTX *, keylog_callback);
    if (real_new == NULL)
        real_new = (SSL *(*)(SSL_CTX *))dlsym(RTLD_NEXT, "SSL_new");
    if (set_callback == NULL)
        set_callback = (void (*)(SSL_CTX *, keylog_callback))dlsym(RTLD_NEXT, "SSL_CTX_set_keylog_callback");
    if (set_callback != NULL && ctx != NULL)
        set_callback(ctx, write_line);
    return real_new(ctx);
}
