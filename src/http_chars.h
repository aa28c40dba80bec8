/* Character classes of the HTTP grammar, one table for every parser. */
#ifndef X0_HTTP_CHARS_H
#define X0_HTTP_CHARS_H

namespace x0 {

enum : unsigned char {
    c_tchar = 1,   // RFC 9110 5.6.2 token characters
    c_target = 2,  // request-target: visible ASCII (RFC 9112 3.2)
    c_value = 4,   // field-value and chunk-ext: VCHAR, obs-text, SP, HTAB (RFC 9110 5.5)
    c_host = 8,    // reg-name: unreserved, sub-delims, '%' (RFC 3986 3.2.2)
    c_digit = 16,
    c_hex = 32     // HEXDIG, either case (RFC 5234 B.1 is case-insensitive)
};

namespace chars {

constexpr bool is_alnum(unsigned c)
{
    return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

constexpr bool in_set(const char* set, unsigned c)
{
    for (; *set; ++set)
        if (static_cast<unsigned char>(*set) == c)
            return true;
    return false;
}

constexpr unsigned char classify(unsigned c)
{
    unsigned char k = 0;
    if (is_alnum(c) || in_set("!#$%&'*+-.^_`|~", c))
        k |= c_tchar;
    if (c >= 0x21 && c <= 0x7e)
        k |= c_target | c_value;
    if (c >= 0x80 || c == ' ' || c == '\t')
        k |= c_value;
    if (is_alnum(c) || in_set("-._~!$&'()*+,;=%", c))
        k |= c_host;
    if (c >= '0' && c <= '9')
        k |= c_digit | c_hex;
    if ((c >= 'A' && c <= 'F') || (c >= 'a' && c <= 'f'))
        k |= c_hex;
    return k;
}

struct table {
    unsigned char v[256];
    constexpr table() : v()
    {
        for (unsigned c = 0; c < 256; ++c)
            v[c] = classify(c);
    }
    unsigned char operator[](char c) const { return v[static_cast<unsigned char>(c)]; }
};

} // namespace chars

/** cls[c] & c_tchar etc.; built at compile time. */
constexpr chars::table cls;

} // namespace x0

#endif
