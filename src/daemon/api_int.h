/* api_int.h (daemon): the endpoints the routing file (api.c) dispatches to. What they share
 * sits underneath them, in api_common.h. */
#ifndef WDD_API_INT_H
#define WDD_API_INT_H

#include "daemon/api_common.h"

void wdd_api_check(wdd_daemon *d, wdd_state *s, const wdd_request *req, wdd_response *resp);
void wdd_api_check_batch(wdd_daemon *d, wdd_state *s, const wdd_request *req, wdd_response *resp);
void wdd_api_policy_get(wdd_daemon *d, wdd_state *s, const wdd_request *req, wdd_response *resp);
void wdd_api_policy_put(wdd_daemon *d, wdd_state *s, const wdd_request *req, wdd_response *resp);
void wdd_api_grant(wdd_daemon *d, wdd_state *s, const wdd_request *req, wdd_response *resp);
void wdd_api_revoke(wdd_daemon *d, wdd_state *s, const wdd_request *req, wdd_response *resp);
void wdd_api_invoke(wdd_daemon *d, wdd_state *s, const wdd_request *req, wdd_response *resp);
void wdd_api_tools(wdd_daemon *d, wdd_state *s, const wdd_request *req, wdd_response *resp);
void wdd_api_audit_query(wdd_daemon *d, wdd_state *s, const wdd_request *req, wdd_response *resp);
void wdd_api_audit_verify(wdd_daemon *d, wdd_state *s, const wdd_request *req, wdd_response *resp);
void wdd_api_override(wdd_daemon *d, wdd_state *s, const wdd_request *req, wdd_response *resp);
void wdd_api_reload(wdd_daemon *d, wdd_state *s, const wdd_request *req, wdd_response *resp);

#endif
