/* A shared object whose references to its own symbols test_prebind binds: global functions
   (one only called, through the PLT; one whose address is taken, in the GOT and in a table),
   a weak function and data. */

int fixture_data = 7;

__attribute__((weak)) int fixture_weak(void) {
    return 2;
}

int fixture_global(void) {
    return 1;
}

int fixture_called(void) {
    return 3;
}

int (*const fixture_table[])(void) = {fixture_global, fixture_weak};

int fixture_calls(void) {
    return fixture_called() * 1000 + fixture_global() * 100 + fixture_weak() * 10 + fixture_data;
}

int fixture_table_sum(void) {
    return fixture_table[0]() + fixture_table[1]();
}

void* fixture_address(void) {
    return (void*)fixture_global;
}
