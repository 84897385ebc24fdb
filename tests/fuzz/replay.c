/* Corpus replayer: runs a fuzz target without libFuzzer.
 *
 *   replay_<target> FILE|DIR...
 *
 * Calls LLVMFuzzerTestOneInput() once per file, each file's bytes in an
 * exactly sized heap buffer (so a read past the input is an
 * AddressSanitizer report in the asan variant). A directory contributes
 * its regular files, in name order, not recursively; names starting with
 * '.' are skipped. Prints the number of inputs run. A broken property
 * aborts (non-zero exit); a path that cannot be read is exit 2. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"

static int run_file(const char *path, unsigned long *count)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
        return -1;
    }
    size_t cap = 4096, n = 0;
    uint8_t *buf = malloc(cap);
    int rc = 0;
    for (;;) {
        if (buf == NULL) {
            fprintf(stderr, "replay: %s: out of memory\n", path);
            rc = -1;
            goto out;
        }
        n += fread(buf + n, 1, cap - n, f);
        if (n < cap)
            break;
        cap *= 2;
        uint8_t *nb = realloc(buf, cap);
        if (nb == NULL)
            free(buf);
        buf = nb;
    }
    if (ferror(f)) {
        fprintf(stderr, "replay: %s: read error\n", path);
        rc = -1;
        goto out;
    }
    /* exactly sized copy: the end of the input is the end of the allocation */
    uint8_t *exact = malloc(n ? n : 1);
    if (exact == NULL) {
        fprintf(stderr, "replay: %s: out of memory\n", path);
        rc = -1;
        goto out;
    }
    if (n > 0)
        memcpy(exact, buf, n);
    LLVMFuzzerTestOneInput(exact, n);
    free(exact);
    (*count)++;
out:
    free(buf);
    fclose(f);
    return rc;
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
    return strcmp((*a)->d_name, (*b)->d_name);
}

static int run_path(const char *path, unsigned long *count)
{
    struct stat sb;
    if (stat(path, &sb) != 0) {
        fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
        return -1;
    }
    if (!S_ISDIR(sb.st_mode))
        return run_file(path, count);
    struct dirent **names = NULL;
    int k = scandir(path, &names, NULL, by_name);
    if (k < 0) {
        fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
        return -1;
    }
    int rc = 0;
    for (int i = 0; i < k; i++) {
        const char *name = names[i]->d_name;
        size_t len = strlen(path) + 1 + strlen(name) + 1;
        char *full = malloc(len);
        if (full != NULL && name[0] != '.') {
            snprintf(full, len, "%s/%s", path, name);
            if (stat(full, &sb) == 0 && S_ISREG(sb.st_mode) && run_file(full, count) != 0)
                rc = -1;
        }
        free(full);
        free(names[i]);
    }
    free(names);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s FILE|DIR...\n", argv[0]);
        return 2;
    }
    unsigned long count = 0;
    int rc = 0;
    for (int i = 1; i < argc; i++)
        if (run_path(argv[i], &count) != 0)
            rc = 2;
    printf("%s: %lu inputs replayed\n", argv[0], count);
    return rc;
}
