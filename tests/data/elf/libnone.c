/* libnone.c: a self-contained object built with -nostdlib: defines symbols, imports nothing. */
int plugin_add(int a, int b);
int plugin_counter;

int plugin_add(int a, int b)
{
    plugin_counter++;
    return a + b;
}
