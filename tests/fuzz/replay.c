/*
 * replay.c - run a libFuzzer entry over files without libFuzzer.
 *
 * Builds where clang's libFuzzer is not used link each fuzz_<target>.c
 * with this main, so ctest replays the seed corpus (and any crash file
 * saved by a fuzzing run) under the build's own sanitizers.
 *   fuzz_<target> FILE|DIR...
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define REPLAY_MAX (4u * 1024u * 1024u)

static int run_file(const char *path)
{
	static uint8_t buf[REPLAY_MAX];
	FILE *f = fopen(path, "rb");
	size_t n;

	if (!f) {
		perror(path);
		return 1;
	}
	n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	/* a private copy of exactly n bytes so ASan sees any over-read */
	uint8_t *copy = malloc(n ? n : 1);
	if (!copy)
		return 1;
	for (size_t i = 0; i < n; i++)
		copy[i] = buf[i];
	LLVMFuzzerTestOneInput(copy, n);
	free(copy);
	return 0;
}

int main(int argc, char **argv)
{
	int bad = 0, runs = 0;

	for (int a = 1; a < argc; a++) {
		struct stat st;
		DIR *d;
		struct dirent *e;
		char p[4096];

		if (stat(argv[a], &st) != 0 || !S_ISDIR(st.st_mode)) {
			bad |= run_file(argv[a]);
			runs++;
			continue;
		}
		d = opendir(argv[a]);
		if (!d) {
			perror(argv[a]);
			return 1;
		}
		while ((e = readdir(d)) != NULL) {
			if (e->d_name[0] == '.')
				continue;
			snprintf(p, sizeof(p), "%s/%s", argv[a], e->d_name);
			bad |= run_file(p);
			runs++;
		}
		closedir(d);
	}
	printf("%d inputs replayed\n", runs);
	return bad || runs == 0;
}
