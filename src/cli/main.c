#include <stdio.h>
int main(void)
{
    puts("warden: under construction");
    return 2;
}
