/* A compiled "simulation": a random walk of n steps; prints its result as JSON into result.json. */
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: sim STEPS SEED\n");
    return 2;
  }
  long steps = atol(argv[1]);
  unsigned seed = (unsigned)atol(argv[2]);
  srand(seed);
  long position = 0, farthest = 0;
  for (long i = 0; i < steps; i++) {
    position += (rand() & 1) ? 1 : -1;
    if (labs(position) > farthest) farthest = labs(position);
  }
  FILE *out = fopen("result.json", "w");
  if (out == NULL) {
    perror("result.json");
    return 1;
  }
  fprintf(out, "{\"steps\": %ld, \"final\": %ld, \"farthest\": %ld}\n", steps, position, farthest);
  fclose(out);
  return 0;
}
