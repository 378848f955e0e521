/* config_int.h (daemon): the walk of the configuration's top level (config.c), called by the
 * loader (config_load.c). What every part shares is in config_value.h. */
#ifndef WDD_CONFIG_INT_H
#define WDD_CONFIG_INT_H

#include "daemon/config_value.h"

/* Walks a parsed file into p->box, reporting every problem (config.c). */
void wdd_config_parse_tree(parser *p, const wd_yaml_node *root);

#endif
