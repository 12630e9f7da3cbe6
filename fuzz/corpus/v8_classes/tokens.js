class A extends B({x:`${1}`}) { m(a) { return /}/.test(a) ? "}" : '{'; } static { } }
