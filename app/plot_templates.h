/* The gnuplot templates of plots/ (its .gp files) as C strings; sim/plot_templates.c
 * is generated from them by plots/embed.sh at build time. */
#ifndef SIM_PLOT_TEMPLATES_H
#define SIM_PLOT_TEMPLATES_H

extern const char sim_plot_template_common[];
extern const char sim_plot_template_lines[];
extern const char sim_plot_template_bars[];
extern const char sim_plot_template_stacked[];
extern const char sim_plot_template_cdf[];

#endif
