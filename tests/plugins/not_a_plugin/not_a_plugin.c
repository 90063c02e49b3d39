/* A shared object that is not a cimrt plugin: it exports no cim_plugin_entry. */
int not_a_plugin_answer(void) { return 42; }
