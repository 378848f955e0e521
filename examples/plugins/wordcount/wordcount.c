/* wordcount: a pure compute plugin. Input {"text": "..."}; output {"words": N, "lines": N,
 * "bytes": N}. It asks the host for nothing, and its policy grants nothing. */
#include <stdio.h>
#include <stdlib.h>

#include "../common/json_field.h"
#include "warden/sys/plugin.h"

static int init(wd_host *host, const char *config)
{
    (void)host;
    (void)config;
    return 0;
}

static int execute(wd_host *host, const char *input, size_t len, wd_output *out)
{
    char *text = malloc(len + 1);
    if (!text)
        return 1;
    char result[128];
    int n;
    if (json_field(input, "text", text, len + 1) != 0) {
        n = snprintf(result, sizeof(result), "{\"error\": \"input needs a \\\"text\\\" string\"}");
        wd_output_write(host, out, result, (size_t)n);
        free(text);
        return 2;
    }
    size_t words = 0, lines = 0, bytes = strlen(text);
    int in_word = 0;
    for (const char *p = text; *p; p++) {
        int space = *p == ' ' || *p == '\n' || *p == '\t' || *p == '\r';
        words += !space && !in_word;
        in_word = !space;
        lines += *p == '\n';
    }
    free(text);
    n = snprintf(result, sizeof(result), "{\"words\": %zu, \"lines\": %zu, \"bytes\": %zu}", words,
                 lines, bytes);
    return wd_output_write(host, out, result, (size_t)n) == 0 ? 0 : 1;
}

static const char *describe(void)
{
    return "{\"description\": \"Counts words, lines and bytes of a text.\", \"input_schema\": "
           "{\"type\": \"object\", \"properties\": {\"text\": {\"type\": \"string\"}}, "
           "\"required\": [\"text\"]}}";
}

WD_PLUGIN_EXPORT = {
    WD_PLUGIN_ABI, sizeof(wd_plugin_descriptor), "wordcount", "1.0.0", init, execute, describe,
    NULL};
