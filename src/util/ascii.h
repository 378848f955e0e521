/* ascii.h (internal): character classes for the parsers, independent of the C locale (isdigit()
 * and friends can change with setlocale(), a parser of hostile input must not). */
#ifndef WD_UTIL_ASCII_H
#define WD_UTIL_ASCII_H

#include <stdbool.h>

static inline bool wd_is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static inline bool wd_is_alpha(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* The value of a hex digit of either case, or -1. */
static inline int wd_hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

#endif
