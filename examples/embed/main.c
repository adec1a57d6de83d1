/* Embedding the llmopt runtime in a C program: load an artifact, bind every input to zeros of
 * the shape given on the command line for its dynamic dims, run, print each output's shape and
 * first values. Builds against the installed package (find_package(llmopt) or pkg-config).
 *
 *   embed model.llmo [DIM_VALUE]        e.g. embed mlp.llmo 5   (every dynamic dim = 5)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <llmopt/runtime.h>

static int fail(const char* what) {
  fprintf(stderr, "embed: %s: %s\n", what, llmopt_last_error());
  return 1;
}

int main(int argc, char** argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: embed MODEL.llmo [DYNAMIC_DIM]\n");
    return 2;
  }
  const int64_t dynamic = argc > 2 ? atoll(argv[2]) : 1;
  llmopt_model* model = NULL;
  if (llmopt_model_load_file(argv[1], NULL, &model) != LLMOPT_OK) return fail("load");
  llmopt_session* session = NULL;
  if (llmopt_session_create(model, NULL, &session) != LLMOPT_OK) return fail("session");

  const size_t inputs = llmopt_model_num_inputs(model);
  void** buffers = calloc(inputs, sizeof(void*));
  for (size_t i = 0; i < inputs; ++i) {
    llmopt_tensor_info info;
    if (llmopt_model_input_info(model, i, &info) != LLMOPT_OK) return fail("input info");
    int64_t dims[LLMOPT_MAX_RANK];
    size_t bytes = llmopt_dtype_size(info.dtype);
    for (int d = 0; d < info.rank; ++d) {
      dims[d] = info.dims[d] < 0 ? dynamic : info.dims[d];
      bytes *= (size_t)dims[d];
    }
    buffers[i] = calloc(1, bytes ? bytes : 1);  /* zeros: valid for ids and for floats */
    if (llmopt_session_set_input(session, i, info.dtype, info.rank, dims, buffers[i], bytes) !=
        LLMOPT_OK)
      return fail(info.name);
  }
  if (llmopt_session_run(session) != LLMOPT_OK) return fail("run");
  for (size_t o = 0; o < llmopt_model_num_outputs(model); ++o) {
    llmopt_tensor_info info;
    llmopt_tensor out;
    if (llmopt_model_output_info(model, o, &info) != LLMOPT_OK ||
        llmopt_session_get_output(session, o, &out) != LLMOPT_OK)
      return fail("output");
    printf("%s %s [", info.name, llmopt_dtype_name(out.dtype));
    for (int d = 0; d < out.rank; ++d) printf(d ? ", %lld" : "%lld", (long long)out.dims[d]);
    printf("]");
    if (out.dtype == LLMOPT_DTYPE_F32) {
      const float* v = (const float*)out.data;
      const size_t n = out.size_bytes / sizeof(float);
      for (size_t j = 0; j < n && j < 4; ++j) printf(" %.6g", v[j]);
    }
    printf("\n");
  }
  for (size_t i = 0; i < inputs; ++i) free(buffers[i]);
  free(buffers);
  llmopt_session_free(session);
  llmopt_model_free(model);
  return 0;
}
