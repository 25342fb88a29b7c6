using System.Text.Json;
using PocketLM.Chat;
using Xunit;

namespace PocketLM.Tests.Chat;

/// <summary>
/// Language features, each checked against the text Python's jinja2 3.1 renders for the same template and variables
/// (ImmutableSandboxedEnvironment, trim_blocks, lstrip_blocks, loopcontrols, HF's tojson) — expected values were produced by jinja2.
/// </summary>
public class JinjaLanguageTests
{
    private const string VarsJson = """
        {"s":"Hello World","n":7,"f":2.5,"l":[3,1,2],"d":{"b":1,"a":2},"e":"","z":[],"u":null,
         "msgs":[{"role":"system","content":"S"},{"role":"user","content":"U1"},{"role":"assistant","content":"A1"},{"role":"user","content":"U2"}],
         "objs":[{"name":"x","v":2,"ok":true},{"name":"Y","v":1,"ok":false},{"name":"x","v":3}]}
        """;

    internal static string Render(string template, string varsJson = VarsJson)
    {
        using var doc = JsonDocument.Parse(varsJson);
        var vars = doc.RootElement.EnumerateObject().ToDictionary(p => p.Name, p => (object?)p.Value.Clone());
        return ChatTemplate.Parse(template).Render(vars);
    }

    [Theory]
    [InlineData("a\n{% if true %}\nb\n{% endif %}\nc", "a\nb\nc")]
    [InlineData("a\n    {% if true %}\n    b\n    {% endif %}\nc", "a\n    b\nc")]
    [InlineData("a  {%- if true -%}  b  {%- endif -%}  c", "abc")]
    [InlineData("a\n  {{- 'x' -}}\n  b", "axb")]
    [InlineData("x {{ 'y' }} z\n", "x y z")]
    [InlineData("{# comment #}\nA{# c2 -#}   B", "AB")]
    [InlineData("  {#- c #}X", "X")]
    [InlineData("a\n    {%+ if true %}b{% endif %}", "a\n    b")]
    [InlineData("{% if true +%}\nkeep{% endif %}", "\nkeep")]
    [InlineData("{% raw %}{{ not evaluated }}{% endraw %}", "{{ not evaluated }}")]
    [InlineData("  {%- raw -%}  {% x %}  {%- endraw -%}  ", "{% x %}")]
    [InlineData("line1\r\nline2\rline3", "line1\nline2\nline3")]
    [InlineData("{{ 'a' }}\n{{ 'b' }}\n", "a\nb")]
    [InlineData("{{ 'it''s' }} {{ \"q\\\"uote\" }} {{ 'tab\\there' }} {{ '\\u00e9\\x41' }}", "its q\"uote tab\there éA")]
    [InlineData("{{ 1 }} {{ 1.5 }} {{ 1e3 }} {{ 10000000000000000.0 }} {{ 0.00001 }} {{ 1_000 }}", "1 1.5 1000.0 1e+16 1e-05 1000")]
    [InlineData("{{ true }} {{ True }} {{ false }} {{ none }} {{ None }}", "True True False None None")]
    [InlineData("{{ [1, 'a', none, true, 1.0] }} {{ (1,) }} {{ (1, 2) }} {{ {'k': 'v', 'n': [1]} }}", "[1, 'a', None, True, 1.0] (1,) (1, 2) {'k': 'v', 'n': [1]}")]
    [InlineData("{{ undefined_var }}|{{ d.missing }}|{{ d['missing'] }}|{{ l[10] }}", "|||")]
    [InlineData("{{ 7 // 2 }} {{ -7 // 2 }} {{ 7 % 3 }} {{ -7 % 3 }} {{ 7 / 2 }} {{ 4 / 2 }} {{ 2 ** 10 }} {{ 2 ** -1 }} {{ 2 ** 3 ** 2 }}", "3 -4 1 2 3.5 2.0 1024 0.5 64")]
    [InlineData("{{ 1 + 2 * 3 - 4 }} {{ (1 + 2) * 3 }} {{ 1 + 2.0 }} {{ 'ab' * 3 }} {{ [1] * 2 }} {{ [1] + [2] }} {{ 'a' ~ 1 ~ none ~ true }}", "3 9 3.0 ababab [1, 1] [1, 2] a1NoneTrue")]
    [InlineData("{{ -n }} {{ +n }} {{ n - 10 }} {{ 0.1 + 0.2 }} {{ 1 / 3 }} {{ 3.0 }} {{ -0.0 }} {{ 1e16 }} {{ 123456789.125 }}", "-7 7 -3 0.30000000000000004 0.3333333333333333 3.0 -0.0 1e+16 123456789.125")]
    [InlineData("{{ true + 1 }} {{ 10 % 3.5 }} {{ 2.5 // 1 }}", "2 3.0 2.0")]
    [InlineData("{{ 1 < 2 < 3 }} {{ 1 < 3 < 2 }} {{ 1 == 1.0 }} {{ 'a' < 'b' }} {{ [1,2] < [1,3] }} {{ none == none }} {{ 1 != 2 }}", "True False True True True True True")]
    [InlineData("{{ 'a' in 'cat' }} {{ 2 in l }} {{ 'a' in d }} {{ 'z' not in d }} {{ not 1 in l }}", "True True True True False")]
    [InlineData("{{ 0 or 'x' }} {{ 1 and 'y' }} {{ '' or [] }} {{ not '' }} {{ none and 1 }}", "x y [] True None")]
    [InlineData("{{ 'yes' if n > 5 else 'no' }}|{{ 'yes' if n > 50 }}|{{ 'a' if false else 'b' if true else 'c' }}", "yes||b")]
    [InlineData("{{ n is odd }} {{ n is even }} {{ n is divisibleby 7 }} {{ n is divisibleby(2) }} {{ n is number }} {{ n is integer }} {{ f is float }} {{ f is integer }}", "True False True False True True True False")]
    [InlineData("{{ s is string }} {{ l is sequence }} {{ d is mapping }} {{ l is iterable }} {{ u is none }} {{ x is defined }} {{ x is undefined }} {{ s is not none }}", "True True True True True False True True")]
    [InlineData("{{ true is boolean }} {{ 1 is boolean }} {{ true is true }} {{ 1 is true }} {{ false is false }} {{ range is callable }} {{ s is callable }}", "True False True False True True False")]
    [InlineData("{{ n is eq 7 }} {{ n is ne 7 }} {{ n is lt 8 }} {{ n is gt 8 }} {{ n is ge 7 }} {{ n is le 6 }} {{ n is equalto 7 }} {{ n is in [7] }} {{ n is sameas 7 }} {{ 'ab' is lower }} {{ 'AB' is upper }}", "True False True False True False True True True True True")]
    [InlineData("{{ not n is defined }} {{ x is not defined and n is defined }}", "False True")]
    [InlineData("{% for x in l %}{{ loop.index }}{{ loop.index0 }}{{ loop.revindex }}{{ loop.revindex0 }}{{ loop.first }}{{ loop.last }}{{ loop.length }}|{% endfor %}", "1032TrueFalse3|2121FalseFalse3|3210FalseTrue3|")]
    [InlineData("{% for x in l %}{{ loop.previtem }}-{{ x }}-{{ loop.nextitem }};{% endfor %}", "-3-1;3-1-2;1-2-;")]
    [InlineData("{% for x in l if x > 1 %}{{ x }}:{{ loop.index }}/{{ loop.length }} {% endfor %}", "3:1/2 2:2/2 ")]
    [InlineData("{% for x in z %}a{% else %}empty{% endfor %}", "empty")]
    [InlineData("{% for k, v in d.items() %}{{ k }}={{ v }},{% endfor %}", "b=1,a=2,")]
    [InlineData("{% for k in d %}{{ k }}{% endfor %} {% for c in 'abc' %}{{ c }}.{% endfor %}", "ba a.b.c.")]
    [InlineData("{% for a, b in [[1, 2], (3, 4)] %}{{ a + b }} {% endfor %}", "3 7 ")]
    [InlineData("{% for x in range(10) %}{% if x == 2 %}{% continue %}{% endif %}{% if x == 5 %}{% break %}{% endif %}{{ x }}{% endfor %}", "0134")]
    [InlineData("{% for x in l %}{% for y in [1, 2] %}{{ loop.depth }}{{ x }}{{ y }} {% endfor %}{{ loop.depth }}{% endfor %}", "131 132 1111 112 1121 122 1")]
    [InlineData("{% for x in l %}{{ loop.cycle('odd', 'even') }} {% endfor %}", "odd even odd ")]
    [InlineData("{% for x in msgs[::-1] %}{{ x.content }}{% endfor %} {{ l[1:] }} {{ l[:-1] }} {{ l[::2] }} {{ s[::-1] }} {{ s[-5:] }} {{ s[2:100] }} {{ l[-1] }} {{ s[0] }}", "U2A1U1S [1, 2] [3, 1] [3, 2] dlroW olleH World llo World 2 H")]
    [InlineData("{% set x = 1 %}{% for i in l %}{% set x = i %}{% endfor %}{{ x }}", "1")]
    [InlineData("{% set ns = namespace(x=1, found=false) %}{% for i in l %}{% set ns.x = ns.x + i %}{% if i == 1 %}{% set ns.found = true %}{% endif %}{% endfor %}{{ ns.x }} {{ ns.found }}", "7 True")]
    [InlineData("{% set a, b = 1, 2 %}{{ a }}{{ b }}{% set t = 1, 2 %}{{ t }}", "12(1, 2)")]
    [InlineData("{% set block %}  inner {{ n }}  {% endset %}[{{ block }}]", "[  inner 7  ]")]
    [InlineData("{% set block | upper | trim %}  inner  {% endset %}[{{ block }}]", "[INNER]")]
    [InlineData("{% if true %}{% set inif = 'v' %}{% endif %}{{ inif }}", "v")]
    [InlineData("{% macro greet(name, greeting='Hello') %}{{ greeting }}, {{ name }}!{% endmacro %}{{ greet('Ann') }} {{ greet('Bob', greeting='Hi') }} {{ greet(greeting='Yo', name='Cy') }}", "Hello, Ann! Hi, Bob! Yo, Cy!")]
    [InlineData("{% macro m(a) %}{{ a }}{{ varargs }}{{ kwargs }}{% endmacro %}{{ m(1, 2, 3, k=4) }}", "1(2, 3){'k': 4}")]
    [InlineData("{% macro wrap(tag) %}<{{ tag }}>{{ caller() }}</{{ tag }}>{% endmacro %}{% call wrap('b') %}bold {{ n }}{% endcall %}", "<b>bold 7</b>")]
    [InlineData("{% macro lst(items) %}{% for i in items %}{{ caller(i) }}{% endfor %}{% endmacro %}{% call(x) lst(l) %}[{{ x }}]{% endcall %}", "[3][1][2]")]
    [InlineData("{% macro f(n) %}{% if n > 0 %}{{ n }}{{ f(n - 1) }}{% endif %}{% endmacro %}{{ f(3) }}", "321")]
    [InlineData("{% filter upper %}abc {{ s }}{% endfilter %}", "ABC HELLO WORLD")]
    [InlineData("{{ '  x  '.strip() }}|{{ 'xxaxx'.strip('x') }}|{{ '  x '.lstrip() }}|{{ ' x  '.rstrip() }}|{{ '\\n\\nx\\n'.lstrip('\\n') }}", "x|a|x | x|x\n")]
    [InlineData("{{ 'a,b,,c'.split(',') }} {{ ' a  b c '.split() }} {{ 'a b c'.split(' ', 1) }} {{ 'a b c'.rsplit(' ', 1) }} {{ 'a<x>b'.split('<x>')[-1] }}", "['a', 'b', '', 'c'] ['a', 'b', 'c'] ['a', 'b c'] ['a b', 'c'] b")]
    [InlineData("{{ s.startswith('Hel') }} {{ s.endswith('x') }} {{ s.startswith(('x', 'H')) }} {{ s.upper() }} {{ s.lower() }} {{ 'hello wORLD 3rd'.title() }} {{ 'hELLO'.capitalize() }}", "True False True HELLO WORLD hello world Hello World 3Rd Hello")]
    [InlineData("{{ s.replace('o', '0') }} {{ s.replace('o', '0', 1) }} {{ s.find('o') }} {{ s.find('z') }} {{ s.rfind('o') }} {{ s.count('l') }} {{ '-'.join(['a', 'b']) }}", "Hell0 W0rld Hell0 World 4 -1 7 3 a-b")]
    [InlineData("{{ '{} and {}'.format(1, 'x') }} {{ '{0}{1}{0}'.format('a', 'b') }} {{ '{name}!'.format(name='N') }} {{ '{:>5}|{:<4}|{:^5}|{:.2f}|{:03d}'.format('r', 'l', 'c', 3.14159, 7) }}", "1 and x aba N!     r|l   |  c  |3.14|007")]
    [InlineData("{{ 'a\\nb\\r\\nc'.splitlines() }} {{ 'abc'.isalpha() }} {{ '12'.isdigit() }} {{ s.index('W') }}", "['a', 'b', 'c'] True True 6")]
    [InlineData("{{ '%s is %d years, %.2f%%' % ('Ann', 30, 99.5) }} {{ '%5s|%-5s|%05d' % ('a', 'b', 42) }} {{ 'x=%(x)s' % {'x': 1} }}", "Ann is 30 years, 99.50%     a|b    |00042 x=1")]
    [InlineData("{{ d.keys() | list }} {{ d.values() | list }} {{ d.items() | list }} {{ d.get('a') }} {{ d.get('zz') }} {{ d.get('zz', 'dflt') }} {{ d.a }} {{ d['b'] }}", "['b', 'a'] [1, 2] [('b', 1), ('a', 2)] 2 None dflt 2 1")]
    [InlineData("{{ l | length }} {{ s | count }} {{ d | length }} {{ l | first }} {{ l | last }} {{ s | first }} {{ l | join(', ') }} {{ l | join }} {{ l | sum }} {{ l | min }} {{ l | max }}", "3 11 2 3 2 H 3, 1, 2 312 6 1 3")]
    [InlineData("{{ x | default('dv') }} {{ e | default('dv') }} {{ e | default('dv', true) }} {{ u | default('dv') }} {{ x | d('d2') }} {{ s | d }}", "dv  dv None d2 Hello World")]
    [InlineData("{{ '  t  ' | trim }}|{{ 'xxtxx' | trim('x') }}|{{ s | upper }}|{{ s | lower }}|{{ 'hello wORLD-foo (bar' | title }}|{{ 'hELLO' | capitalize }}|{{ s | replace('l', 'L') }}", "t|t|HELLO WORLD|hello world|Hello World-Foo (Bar|Hello|HeLLo WorLd")]
    [InlineData("{{ l | sort }} {{ l | sort(reverse=true) }} {{ ['b', 'A', 'a', 'C'] | sort }} {{ ['b', 'A', 'C'] | sort(case_sensitive=true) }} {{ objs | sort(attribute='v') | map(attribute='v') | list }}", "[1, 2, 3] [3, 2, 1] ['A', 'a', 'b', 'C'] ['A', 'C', 'b'] [1, 2, 3]")]
    [InlineData("{{ l | reverse | list }} {{ s | reverse }} {{ [1, 2, 1, 3] | unique | list }} {{ ['a', 'A', 'b'] | unique | list }} {{ d | list }} {{ s | list | length }}", "[2, 1, 3] dlroW olleH [1, 2, 3] ['a', 'b'] ['b', 'a'] 11")]
    [InlineData("{{ objs | selectattr('ok') | map(attribute='v') | list }} {{ objs | rejectattr('ok') | map(attribute='v') | list }} {{ objs | selectattr('name', 'equalto', 'x') | list | length }} {{ objs | selectattr('ok', 'defined') | list | length }}", "[2] [1, 3] 2 2")]
    [InlineData("{{ msgs | selectattr('role', 'eq', 'user') | map(attribute='content') | join(',') }} {{ [1, 2, 3, 4] | select('odd') | list }} {{ [1, 2, 3, 4] | reject('odd') | list }} {{ [0, 1, '', 'a'] | select | list }}", "U1,U2 [1, 3] [2, 4] [1, 'a']")]
    [InlineData("{{ ['a', 'b'] | map('upper') | list }} {{ objs | map(attribute='missing', default='m') | list }} {{ [1.5, 2.5] | map('int') | list }}", "['A', 'B'] ['m', 'm', 'm'] [1, 2]")]
    [InlineData("{{ d | items | list }} {{ d | dictsort }} {{ d | dictsort(by='value') }}", "[('b', 1), ('a', 2)] [('a', 2), ('b', 1)] [('b', 1), ('a', 2)]")]
    [InlineData("{{ '42' | int }} {{ '4.7' | int }} {{ 'x' | int }} {{ 'x' | int(5) }} {{ 3.9 | int }} {{ '2.5' | float }} {{ 'x' | float }} {{ 3 | float }} {{ -3 | abs }} {{ 2.567 | round(2) }} {{ 2.5 | round }} {{ 3 | round }} {{ 2.1 | round(method='ceil') }}", "42 4 0 5 3 2.5 0.0 3.0 3 2.57 2.0 3 3.0")]
    [InlineData("{{ n | string }} {{ l | string }} {{ u | string }} {{ 'a<b>' | e }} {{ 'x' | safe }} {{ ['a', 'b'] | join('<br>' | safe) }}", "7 [3, 1, 2] None a&lt;b&gt; x a<br>b")]
    [InlineData("{{ 'one two  three' | wordcount }} {{ 'abc' | center(9) }}|{{ 'l1\\nl2\\n\\nl3' | indent(2) }}|{{ 'l1\\nl2' | indent(2, true) }}|{{ 'l1\\n\\nl2' | indent(2, blank=true) }}", "3    abc   |l1\n  l2\n\n  l3|  l1\n  l2|l1\n  \n  l2")]
    [InlineData("{{ [1, 2, 3, 4, 5] | batch(2) | list }} {{ [1, 2, 3] | batch(2, 'x') | list }}", "[[1, 2], [3, 4], [5]] [[1, 2], [3, 'x']]")]
    [InlineData("{{ 'a b c d e f' | truncate(5) }} {{ 'hello world this is long' | truncate(12, leeway=0) }} {{ 'hello world' | truncate(8, true, leeway=0) }}", "a... hello... hello...")]
    [InlineData("{{ '%s-%s' | format('a', 'b') }} {{ objs | first | attr('name') }}", "a-b ")]
    [InlineData("{{ d | tojson }} {{ l | tojson }} {{ 'é\"\\n<' | tojson }} {{ none | tojson }} {{ true | tojson }} {{ 1.0 | tojson }} {{ [] | tojson }} {{ {} | tojson }}", "{\"b\": 1, \"a\": 2} [3, 1, 2] \"é\\\"\\n<\" null true 1.0 [] {}")]
    [InlineData("{{ objs[0] | tojson(indent=2) }}", "{\n  \"name\": \"x\",\n  \"v\": 2,\n  \"ok\": true\n}")]
    [InlineData("{{ d | tojson(sort_keys=true) }} {{ d | tojson(separators=(',', ':')) }} {{ {'x': [1, {'y': 'z'}]} | tojson(indent=4) }}", "{\"a\": 2, \"b\": 1} {\"b\":1,\"a\":2} {\n    \"x\": [\n        1,\n        {\n            \"y\": \"z\"\n        }\n    ]\n}")]
    [InlineData("{{ 'é' | tojson(ensure_ascii=true) }}", "\"\\u00e9\"")]
    [InlineData("{{ range(3) | list }} {{ range(1, 10, 3) | list }} {{ range(5, 0, -2) | list }} {{ dict(a=1, b='x') }} {{ namespace(a=1).a }}", "[0, 1, 2] [1, 4, 7] [5, 3, 1] {'a': 1, 'b': 'x'} 1")]
    [InlineData("{{ msgs[0].role }} {{ msgs[0]['content'] }} {{ msgs | length }} {{ (msgs | last).content }} {{ msgs[1:] | map(attribute='role') | join(',') }}", "system S 4 U2 user,assistant,user")]
    [InlineData("{% if msgs[0].role == 'system' %}{% set loop_messages = msgs[1:] %}{% else %}{% set loop_messages = msgs %}{% endif %}{% for m in loop_messages %}{% if (m.role == 'user') != (loop.index0 % 2 == 0) %}BAD{% endif %}{{ m.role[0] }}{% endfor %}", "uau")]
    [InlineData("{{ 'a' 'b' }} {{ d['a'] + d.b }} {{ l.0 }} {{ (l|first) + 1 }}", "ab 3 3 4")]
    [InlineData("{% generation %}gen {{ n }}{% endgeneration %}", "gen 7")]
    [InlineData("{% do range(3) %}ok", "ok")]
    [InlineData("{{ [1, 2] == [1, 2] }} {{ {'a': 1} == {'a': 1} }} {{ 'abc' < 'abd' }} {{ (1, 2) == [1, 2] }}", "True True True False")]
    [InlineData("{{ s.split(' ') | map('lower') | join('_') }} {{ 'x' if s.startswith('He') and 'W' in s }}", "hello_world x")]
    public void RendersLikeJinja2(string template, string expected) => Assert.Equal(expected, Render(template));
}
