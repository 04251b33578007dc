/* A shared object whose references to its own symbols test_prebind binds: global and weak
   functions (called through the PLT, and one with its address in the GOT and in a table) and
   data, of which the test executable defines the shared_* ones and fixture_data as well. */

int fixture_data = 5;

int own_global(void) {
    return 1;
}

__attribute__((weak)) int own_weak(void) {
    return 2;
}

int shared_global(void) {
    return 3;
}

__attribute__((weak)) int shared_weak(void) {
    return 4;
}

int (*const fixture_table[])(void) = {own_global, shared_global};

/* The value each reference reaches: 0-3 the functions above, 4 the data, 5-6 the table. */
int fixture_probe(int which) {
    switch (which) {
    case 0: return own_global();
    case 1: return own_weak();
    case 2: return shared_global();
    case 3: return shared_weak();
    case 4: return fixture_data;
    case 5: return fixture_table[0]();
    case 6: return fixture_table[1]();
    }
    return -1;
}

void* fixture_address(void) {
    return (void*)own_global;
}
