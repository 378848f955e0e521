/* codes.h (yaml): the stable ids the strict YAML tree reports. They are policy ids (WD-P…)
 * because policies were the first strict format and their ids are released: a policy reports
 * them as they are, a daemon configuration relabels them WD-C004 ("not valid (safe) YAML") and
 * a contract reports them under its own file name. policy/codes.h names them WD_P_* too. */
#ifndef WD_YAML_CODES_H
#define WD_YAML_CODES_H

#define WD_YAML_E_UTF8 "WD-P004"          /* a NUL character in a value */
#define WD_YAML_E_SYNTAX "WD-P005"        /* YAML syntax error */
#define WD_YAML_E_ANCHOR "WD-P006"        /* anchors and aliases */
#define WD_YAML_E_TAG "WD-P007"           /* explicit tags */
#define WD_YAML_E_MULTI_DOC "WD-P008"     /* more than one document */
#define WD_YAML_E_LIMIT "WD-P009"         /* nesting or node count limit, out of memory */
#define WD_YAML_E_DUPLICATE_KEY "WD-P010" /* duplicate mapping key */
#define WD_YAML_E_TYPE "WD-P012"          /* a mapping key that is not a scalar */

#endif
