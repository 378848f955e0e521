/* names.c: the names of accesses and effects, as policies write them and as every front end
 * shows them. Below the parser (parse.c) and the loader (policy.c), calling neither. */
#include <string.h>

#include "policy/policy_int.h"
#include "util/error.h"

static const char *const access_names[WD_ACCESS_BITS] = {"read", "write", "execute", "create",
                                                         "delete"};

const char *wd_access_name(unsigned access)
{
    for (int i = 0; i < WD_ACCESS_BITS; i++)
        if (access == 1u << i)
            return access_names[i];
    return "?";
}

int wd_access_parse(const char *name, unsigned *out)
{
    for (int i = 0; i < WD_ACCESS_BITS; i++)
        if (!strcmp(name, access_names[i])) {
            *out = 1u << i;
            return 0;
        }
    return wd_fail(WD_EINVAL, "unknown access \"%.64s\"", name);
}

const char *wd_effect_name(wd_effect effect)
{
    return effect == WD_ALLOW ? "allow" : "deny";
}

/* MCP's tool-name characters: letters, digits, '_', '-', '.', and '/' for namespaced names. */
long wd_tool_name_check(const char *text, size_t len)
{
    if (len > WD_TOOL_NAME_MAX)
        return (long)len;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)text[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-' || c == '.' || c == '/'))
            return (long)i;
    }
    return len ? -1 : 0;
}
