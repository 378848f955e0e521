/* config_tenants.h (daemon): the tenants of wardend's configuration (config_tenants.c), read
 * by the walk of the top level (config.c). */
#ifndef WDD_CONFIG_TENANTS_H
#define WDD_CONFIG_TENANTS_H

#include "daemon/config_value.h"

/* The tenants: each one read, then names, directories and clients checked across them
 * (config_tenants.c). */
void wdd_config_tenants_section(parser *p, const wd_yaml_node *root);

#endif
