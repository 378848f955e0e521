/* TEMPORARY STUB, reverted before the branch is finished: wd_policy_lists_tools() is being
 * built on the policy branch; until it is merged every policy "lists no tools". */
#include "warden/policy.h"

int wd_policy_lists_tools(const wd_policy *policy)
{
    (void)policy;
    return 0;
}
